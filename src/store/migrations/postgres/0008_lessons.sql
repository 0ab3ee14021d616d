-- 0008_lessons: the lessons journal (spec §2, ORCH-098): what went wrong and what to change,
-- recorded by operators (source manual) or by Orch itself (source auto). An observer, never a gate.
create table lessons (
  id bigserial primary key,
  lesson_type text not null,
  source text not null default 'manual' check (source in ('manual', 'auto')),
  status text not null default 'open',
  work_item_id text,
  task_id bigint,
  stage text,
  agent text,
  repo text,
  root_cause text,
  suggestion text,
  related_task text,
  attribution text,
  target_repo text,
  target_domain text,
  detail text,
  created_at_ms bigint not null,
  updated_at_ms bigint not null
);
create index lessons_type_idx on lessons (lesson_type, id);
create index lessons_work_item_idx on lessons (work_item_id, id);
