// Admin actions on a work item: approve / reject the analysis, answer the analyst, resume a
// Blocked item, retry a failed job, cancel. They need the admin token; the ones that discard
// work ask first. Every result is announced and shown next to its control.
import { admin, api } from '../api.js';
import { h } from '../dom.js';
import { renderMarkdown } from '../markdown.js';
import { confirmAction } from './confirm.js';

/**
 * Runs an action with its button disabled, then announces the outcome (`CODE: message` on
 * failure), keeps it under `key` for the control's note and refreshes. Resolves true on success.
 */
export async function act(button, label, fn, ctx, key, echo) {
  button.disabled = true;
  let ok = false;
  let note;
  try {
    const res = await fn();
    const kind = res?.result?.kind ?? res?.job?.status ?? 'done';
    note = `${label}: ${String(kind).replaceAll('_', ' ')}.${echo ? ` “${echo}”` : ''}`;
    ok = true;
    ctx.announce(note);
  } catch (err) {
    note = `${err.code ?? 'ERROR'}: ${err.message}`;
    ctx.announce(`${label} failed — ${note}`);
  } finally {
    button.disabled = false;
    if (key) ctx.results?.set(key, { ok, text: note });
    ctx.refresh();
  }
  return ok;
}

/** The last result of the action `key`, shown next to its control. */
export function resultNote(ctx, key) {
  const r = ctx.results?.get(key);
  if (!r) return null;
  return h('p', {
    class: `action-result ${r.ok ? 'action-ok' : 'action-error'}`,
    'data-result-for': key,
    text: r.ok ? `✔ ${r.text}` : `✘ ${r.text}`,
  });
}

/** What the analyst asked: the questions artifact, else the needs_input event's detail. */
function questionsBlock(detail, questions) {
  if (detail.task.status !== 'needs_input') return null;
  let body = null;
  if (questions?.content) body = renderMarkdown(questions.content);
  else {
    const event = detail.timeline.filter((e) => e.type === 'needs_input').at(-1);
    const reason = detail.explain?.reasons?.find?.((r) => r.code === 'needs_input');
    const text =
      (typeof event?.detail?.questions === 'string' && event.detail.questions) ||
      (typeof reason?.details?.questions === 'string' && reason.details.questions) ||
      event?.message;
    body = text
      ? renderMarkdown(text)
      : h('p', { class: 'muted', text: 'The analyst recorded no questions.' });
  }
  return h(
    'section',
    { class: 'questions', 'aria-labelledby': 'questions-heading' },
    h('h3', { id: 'questions-heading', text: 'The analyst asks' }),
    body,
  );
}

export function actionsPanel(detail, ctx, extras = {}) {
  const task = detail.task;
  const ref = task.work_item_id;
  const parked = ['done', 'cancelled'].includes(task.status);
  const body = [questionsBlock(detail, extras.questions)];
  if (!admin.token) {
    body.push(
      h('p', {
        class: 'muted',
        text: 'Open “Admin token” at the top of the page to approve, reject, answer, resume, retry or cancel.',
      }),
    );
  } else {
    if (task.status === 'waiting_for_approval')
      body.push(approveRow(ref, ctx), rejectForm(ref, ctx));
    if (task.status === 'needs_input') body.push(answerForm(ref, ctx));
    if (task.status === 'blocked' || task.status === 'cancelled')
      body.push(resumeForm(detail, ctx));
    if (task.status !== 'done') body.push(retryList(detail.jobs ?? [], ctx));
    if (!parked) body.push(cancelForm(ref, ctx));
    if (body.filter(Boolean).length === 0)
      body.push(h('p', { class: 'muted', text: 'No actions: this work item is finished.' }));
  }
  const panel = h(
    'section',
    { class: 'card actions', 'aria-labelledby': 'actions-heading' },
    h('h2', { id: 'actions-heading', text: 'Actions' }),
    body,
  );
  // Results whose control is gone (the item moved on) stay listed until the page is left.
  const shown = new Set(
    [...panel.querySelectorAll('[data-result-for]')].map((el) => el.dataset.resultFor),
  );
  const earlier = [...(ctx.results ?? new Map()).keys()].filter((k) => !shown.has(k));
  if (earlier.length > 0) {
    panel.append(
      h(
        'div',
        { class: 'stack recent-actions' },
        h('h3', { text: 'Done from this page' }),
        h(
          'ul',
          { class: 'plain' },
          earlier.map((k) => h('li', {}, resultNote(ctx, k))),
        ),
      ),
    );
  }
  return panel;
}

function approveRow(ref, ctx) {
  const button = h('button', {
    type: 'button',
    class: 'primary',
    'data-key': 'approve',
    text: 'Approve analysis',
    onClick: () => act(button, `Approve ${ref}`, () => api.approve(ref), ctx, 'approve'),
  });
  return h(
    'div',
    { class: 'stack' },
    h('div', { class: 'row' }, button),
    resultNote(ctx, 'approve'),
  );
}

/** A form with a text field, a submit button and the last result; `run(text, button)`. */
function textForm({ id, label, hint, field, button, ctx, required, run, extra }) {
  const input = h(field === 'input' ? 'input' : 'textarea', {
    id,
    ...(field === 'input' ? { type: 'text', autocomplete: 'off' } : { rows: '3' }),
    maxlength: '4000',
    required: required || undefined,
    'aria-describedby': hint ? `${id}-hint` : undefined,
  });
  return h(
    'form',
    {
      class: 'stack',
      onSubmit: (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (required && !text) {
          input.focus();
          ctx.announce(`${label} is required.`);
          return;
        }
        void run(text, button).then((ok) => {
          if (ok) input.value = '';
        });
      },
    },
    h('label', { for: id, text: label }),
    hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null,
    input,
    extra ?? null,
    h('div', { class: 'row' }, button),
    resultNote(ctx, id),
  );
}

function rejectForm(ref, ctx) {
  const button = h('button', { type: 'submit', class: 'danger', text: 'Reject' });
  return textForm({
    id: 'reject-reason',
    label: 'Rejection reason',
    hint: 'Sent to the analyst, who reworks the analysis.',
    button,
    ctx,
    required: true,
    run: async (text) => {
      const yes = await confirmAction({
        title: `Reject the analysis of ${ref}?`,
        detail: 'The analyst’s documents are sent back for rework with your reason.',
        confirmLabel: 'Yes, reject the analysis',
      });
      if (!yes) return false;
      return act(button, `Reject ${ref}`, () => api.reject(ref, text), ctx, 'reject-reason', text);
    },
  });
}

function answerForm(ref, ctx) {
  const button = h('button', { type: 'submit', class: 'primary', text: 'Answer' });
  return textForm({
    id: 'answer-text',
    label: 'Your answer',
    hint: 'Sent to the analyst, who continues the analysis with it.',
    button,
    ctx,
    required: true,
    run: (text) =>
      act(button, `Answer ${ref}`, () => api.answer(ref, text), ctx, 'answer-text', text),
  });
}

function resumeForm(detail, ctx) {
  const { task, stages } = detail;
  const ref = task.work_item_id;
  const at = stages.indexOf(task.stage);
  // `created` has no agent to re-run (the server refuses it): only agent stages are offered.
  const earlier = at > 0 ? stages.slice(0, at).filter((s) => s !== 'created') : [];
  const select = h(
    'select',
    { id: 'resume-stage' },
    h('option', { value: '', text: `Current stage (${task.stage})` }),
    earlier.map((s) => h('option', { value: s, text: `Earlier: ${s}` })),
  );
  const button = h('button', { type: 'submit', class: 'primary', text: 'Resume' });
  return textForm({
    id: 'resume-note',
    label: 'Resume note (optional)',
    hint: 'Given to the stage’s agent with a fresh retry budget.',
    button,
    ctx,
    required: false,
    extra:
      earlier.length > 0
        ? h(
            'div',
            { class: 'stack resume-stage' },
            h('label', { for: 'resume-stage', text: 'Resume from stage' }),
            select,
          )
        : null,
    run: async (note) => {
      const stage = select.value;
      if (stage) {
        const yes = await confirmAction({
          title: `Resume ${ref} from ${stage}?`,
          detail: `The work done after ${stage} is redone from that stage.`,
          confirmLabel: `Yes, resume from ${stage}`,
        });
        if (!yes) return false;
      }
      return act(
        button,
        `Resume ${ref}`,
        () => api.resume(ref, { note, stage }),
        ctx,
        'resume-note',
      );
    },
  });
}

function retryList(jobs, ctx) {
  const failed = jobs.filter((j) => j.status === 'failed' || j.status === 'cancelled').slice(-5);
  if (failed.length === 0) return null;
  return h(
    'div',
    { class: 'stack retry-list' },
    h('h3', { text: 'Failed or cancelled jobs' }),
    h(
      'ul',
      { class: 'plain' },
      failed.map((j) => {
        const key = `retry-${j.id}`;
        const button = h('button', {
          type: 'button',
          'data-key': key,
          text: `Retry job ${j.id}`,
          onClick: () => act(button, `Retry job ${j.id}`, () => api.retryJob(j.id), ctx, key),
        });
        return h(
          'li',
          { class: 'retry-item' },
          button,
          ' ',
          h('span', {
            class: 'muted',
            text: `${j.role ?? j.kind} · ${j.status}${j.error ? ` · ${j.error}` : ''}`,
          }),
          resultNote(ctx, key),
        );
      }),
    ),
  );
}

function cancelForm(ref, ctx) {
  const button = h('button', {
    type: 'submit',
    class: 'danger secondary',
    text: 'Cancel work item',
  });
  return textForm({
    id: 'cancel-reason',
    label: 'Cancel reason (optional)',
    field: 'input',
    button,
    ctx,
    required: false,
    run: async (reason) => {
      const yes = await confirmAction({
        title: `Cancel ${ref}?`,
        detail: 'Its running and queued jobs stop; the item can be resumed later.',
        confirmLabel: 'Yes, cancel the item',
      });
      if (!yes) return false;
      return act(button, `Cancel ${ref}`, () => api.cancel(ref, reason), ctx, 'cancel-reason');
    },
  });
}
