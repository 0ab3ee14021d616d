// The "New work item" form of the Work items page: files an item in a project that can file
// (`POST /admin/tasks`), then opens its page.
import { api } from '../api.js';
import { card, h } from '../dom.js';
import { resultNote } from './actions.js';

function field(id, label, control) {
  return h('div', { class: 'stack' }, h('label', { for: id, text: label }), control);
}

function form(projects, ctx) {
  const project = h(
    'select',
    { id: 'new-item-project', required: true },
    projects.map((p) =>
      h('option', { value: p.key, text: p.tracker ? `${p.key} (${p.tracker})` : p.key }),
    ),
  );
  const title = h('input', {
    id: 'new-item-title',
    type: 'text',
    maxlength: '200',
    autocomplete: 'off',
    required: true,
  });
  const description = h('textarea', { id: 'new-item-description', rows: '4', maxlength: '20000' });
  const button = h('button', { type: 'submit', class: 'primary', text: 'Create work item' });
  const submit = async (event) => {
    event.preventDefault();
    const text = title.value.trim();
    if (!text) {
      title.focus();
      ctx.announce('A work item needs a title.');
      return;
    }
    button.disabled = true;
    try {
      const res = await api.createTask({
        project: project.value,
        title: text,
        description: description.value.trim(),
      });
      const id = res?.task?.work_item_id ?? res?.task?.id;
      ctx.results?.set('new-item', { ok: true, text: `Created ${id}.` });
      ctx.announce(`Created work item ${id}.`);
      title.value = '';
      description.value = '';
      if (id) location.hash = `#/tasks/${id}`;
    } catch (err) {
      const text = `${err.code ?? 'ERROR'}: ${err.message}`;
      ctx.results?.set('new-item', { ok: false, text });
      ctx.announce(`Creating the work item failed — ${text}`);
      ctx.rerender();
    } finally {
      button.disabled = false;
    }
  };
  return h(
    'form',
    { class: 'new-item-form', 'aria-labelledby': 'new-item-heading', onSubmit: submit },
    field('new-item-project', 'Project', project),
    field('new-item-title', 'Title', title),
    field('new-item-description', 'Description', description),
    h('div', { class: 'row' }, button),
    resultNote(ctx, 'new-item'),
  );
}

/** `projects`: the projects that can file, `{ error }`, or null without the admin token. */
export function newItemForm(projects, ctx) {
  let body;
  if (projects === null) {
    body = h('p', {
      class: 'muted',
      text: 'Open “Admin token” at the top of the page to file a work item from here.',
    });
  } else if (projects.error) {
    body = h('p', {
      class: 'error',
      text: `Projects unavailable — ${projects.error.code}: ${projects.error.message}`,
    });
  } else if (projects.length === 0) {
    body = h('p', { class: 'muted', text: 'No project can file work items from the dashboard.' });
  } else body = form(projects, ctx);
  return card('new-item-heading', 'New work item', body);
}
