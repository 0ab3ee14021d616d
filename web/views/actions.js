// Admin actions on a work item: approve / reject the analysis, cancel. Need the admin token.
import { admin, api } from '../api.js';
import { h } from '../dom.js';

/** Runs an action with its button disabled, then announces the outcome and refreshes. */
export async function act(button, label, fn, ctx) {
  button.disabled = true;
  try {
    const res = await fn();
    const kind = res?.result?.kind ?? res?.job?.status ?? 'done';
    ctx.announce(`${label}: ${String(kind).replaceAll('_', ' ')}.`);
  } catch (err) {
    ctx.announce(`${label} failed — ${err.code}: ${err.message}`);
  } finally {
    button.disabled = false;
    ctx.refresh();
  }
}

export function actionsPanel(task, ctx) {
  const ref = task.work_item_id;
  const parked = ['done', 'cancelled'].includes(task.status);
  const body = [];
  if (!admin.token) {
    body.push(
      h('p', {
        class: 'muted',
        text: 'Open “Admin token” at the top of the page to approve, reject or cancel.',
      }),
    );
  } else {
    if (task.status === 'waiting_for_approval')
      body.push(approveRow(ref, ctx), rejectForm(ref, ctx));
    if (!parked) body.push(cancelForm(ref, ctx));
    if (body.length === 0)
      body.push(h('p', { class: 'muted', text: 'No actions: this work item is finished.' }));
  }
  return h(
    'section',
    { class: 'card actions', 'aria-labelledby': 'actions-heading' },
    h('h2', { id: 'actions-heading', text: 'Actions' }),
    body,
  );
}

function approveRow(ref, ctx) {
  const button = h('button', {
    type: 'button',
    class: 'primary',
    'data-key': 'approve',
    text: 'Approve analysis',
    onClick: () => act(button, `Approve ${ref}`, () => api.approve(ref), ctx),
  });
  return h('div', { class: 'row' }, button);
}

function rejectForm(ref, ctx) {
  const reason = h('textarea', {
    id: 'reject-reason',
    rows: '2',
    maxlength: '2000',
    required: true,
  });
  const button = h('button', { type: 'submit', class: 'danger', text: 'Reject analysis' });
  return h(
    'form',
    {
      class: 'stack',
      onSubmit: (event) => {
        event.preventDefault();
        const text = reason.value.trim();
        if (!text) {
          reason.focus();
          ctx.announce('A rejection needs a reason.');
          return;
        }
        void act(button, `Reject ${ref}`, () => api.reject(ref, text), ctx).then(
          () => (reason.value = ''),
        );
      },
    },
    h('label', { for: 'reject-reason', text: 'Rejection reason (sent to the analyst)' }),
    reason,
    h('div', { class: 'row' }, button),
  );
}

function cancelForm(ref, ctx) {
  const reason = h('input', {
    id: 'cancel-reason',
    type: 'text',
    maxlength: '2000',
    autocomplete: 'off',
  });
  const button = h('button', {
    type: 'submit',
    class: 'danger secondary',
    text: 'Cancel work item',
  });
  return h(
    'form',
    {
      class: 'stack',
      onSubmit: (event) => {
        event.preventDefault();
        void act(button, `Cancel ${ref}`, () => api.cancel(ref, reason.value.trim()), ctx);
      },
    },
    h('label', { for: 'cancel-reason', text: 'Cancel reason (optional)' }),
    reason,
    h('div', { class: 'row' }, button),
  );
}
