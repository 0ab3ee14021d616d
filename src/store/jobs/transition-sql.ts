import { greatest, type Dialect } from '../db.js';
import { assertNever, OrchError } from '../../errors.js';
import type { JobStatus } from '../../queue/job.js';
import {
  cancelledInstead,
  fromStatuses,
  JOB_FIELDS,
  JOB_TRANSITIONS,
  type FieldEffect,
  type JobEvent,
  type TransitionParam,
  type TransitionSpec,
} from '../../queue/job-transitions.js';

/**
 * One arm of an update: apply `event` from `from` to the rows matching `when` (SQL over the row's
 * current values). Arms are tried in order; the last one has no `when` and takes the rest.
 */
export interface TransitionArm {
  when?: string;
  from: JobStatus;
  event: JobEvent;
}

export interface RenderContext {
  dialect: Dialect;
  /**
   * SQL for the current time and for each parameter the transitions take (`$4`, `b.result`…);
   * `newToken`, when given, is the claim's fresh lease token (default: one made by the database).
   */
  params: Partial<Record<TransitionParam | 'now' | 'newToken', string>>;
  /** Qualifies column references (`j` in `update jobs j … from c`). */
  qualifier?: string;
}

interface Branch {
  when: string | null;
  spec: TransitionSpec;
}

/** A pending cancel wins: every arm whose event honours it gets a `cancel_requested = 1` twin first. */
function branches(arms: readonly TransitionArm[], ctx: RenderContext): Branch[] {
  if (
    arms.length === 0 ||
    arms.some((a, i) => (a.when === undefined) !== (i === arms.length - 1))
  ) {
    throw new OrchError('INVALID_TRANSITION', 'only the last arm of an update may omit `when`');
  }
  return arms.flatMap((a): Branch[] => {
    const spec = JOB_TRANSITIONS[a.event][a.from];
    if (!spec)
      throw new OrchError('INVALID_TRANSITION', `${a.event} is not allowed from ${a.from}`);
    const when = a.when ?? null;
    if (spec.pendingCancel !== 'cancel') return [{ when, spec }];
    const pending = `${col(ctx, 'cancel_requested')} = 1`;
    return [
      {
        when: when === null ? pending : `${when} and ${pending}`,
        spec: cancelledInstead(spec, a.event),
      },
      { when, spec },
    ];
  });
}

/**
 * The `set` list of an UPDATE that applies the arms' transitions: `status`, every column any arm
 * changes (a `case` when the arms differ; a column an arm does not name keeps its value) and
 * `updated_at_ms`. The caller writes the `where` (fence, status, claim order).
 */
export function transitionSet(arms: readonly TransitionArm[], ctx: RenderContext): string {
  const bs = branches(arms, ctx);
  const parts: string[] = [];
  const column = (name: string, exprs: (string | null)[]) => {
    const keep = col(ctx, name);
    const values = exprs.map((e) => e ?? keep);
    if (values.every((v) => v === keep)) return;
    if (values.every((v) => v === values[0])) return void parts.push(`${name} = ${values[0]}`);
    const typed = values.map((v) => typedValue(ctx, name, v));
    const cases = bs.slice(0, -1).map((b, i) => `when ${b.when} then ${typed[i]}`);
    parts.push(`${name} = case ${cases.join(' ')} else ${typed.at(-1)} end`);
  };
  column(
    'status',
    bs.map((b) => `'${b.spec.to}'`),
  );
  for (const field of JOB_FIELDS) {
    column(
      field,
      bs.map((b) => {
        const effect = b.spec.set[field];
        return effect === undefined ? null : render(effect, field, ctx);
      }),
    );
  }
  parts.push(`updated_at_ms = ${need(ctx, 'now')}`);
  return parts.join(',\n    ');
}

/** `status in (…)` for the statuses `event` applies to. */
export function fromStatusSql(event: JobEvent, ctx: Pick<RenderContext, 'qualifier'> = {}): string {
  const list = fromStatuses(event).map((s) => `'${s}'`);
  return `${col(ctx, 'status')} in (${list.join(', ')})`;
}

/** PostgreSQL types a `case` of only parameters and nulls as text: give them the column's type. */
const PG_TYPES: Record<string, string> = {
  attempts: 'integer',
  transient_attempts: 'integer',
  pid: 'integer',
  cancel_requested: 'integer',
  available_at_ms: 'bigint',
  lease_expires_at_ms: 'bigint',
  heartbeat_at_ms: 'bigint',
  started_at_ms: 'bigint',
  finished_at_ms: 'bigint',
  agent_run_id: 'bigint',
};

function typedValue(ctx: RenderContext, column: string, value: string): string {
  const type = PG_TYPES[column];
  if (ctx.dialect !== 'postgres' || !type || !/^(null|\$\d+)$/.test(value)) return value;
  return `cast(${value} as ${type})`;
}

function col(ctx: Pick<RenderContext, 'qualifier'>, name: string): string {
  return ctx.qualifier ? `${ctx.qualifier}.${name}` : name;
}

function need(ctx: RenderContext, name: TransitionParam | 'now'): string {
  const sql = ctx.params[name];
  if (sql === undefined) throw new OrchError('INVALID_TRANSITION', `no SQL for parameter ${name}`);
  return sql;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function render(e: FieldEffect, field: string, ctx: RenderContext): string {
  switch (e.op) {
    case 'null':
      return 'null';
    case 'now':
      return need(ctx, 'now');
    case 'int':
      return String(e.value);
    case 'text':
      return quote(e.value);
    case 'param':
      return need(ctx, e.name);
    case 'param_or_keep':
      return `coalesce(${need(ctx, e.name)}, ${col(ctx, field)})`;
    case 'increment':
      return `${col(ctx, field)} + 1`;
    case 'decrement_to_zero':
      return `${greatest(ctx.dialect)}(${col(ctx, field)} - 1, 0)`;
    case 'new_token':
      return (
        ctx.params.newToken ??
        (ctx.dialect === 'postgres' ? 'gen_random_uuid()::text' : 'lower(hex(randomblob(16)))')
      );
    case 'cancel_error': {
      const prefix = 'cancelled by operator (was: ';
      if (e.was?.op === 'text') return quote(`${prefix}${e.was.value})`);
      const was = e.was ? render(e.was, field, ctx) : col(ctx, field);
      return `${quote(prefix)} || coalesce(cast(${was} as text), ${quote(e.label)}) || ')'`;
    }
    default:
      return assertNever(e, 'field effect');
  }
}
