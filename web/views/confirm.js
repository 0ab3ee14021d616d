// A confirmation for actions that discard work: a native modal <dialog> with named buttons.
import { h } from '../dom.js';

let seq = 0;

/**
 * Asks `question` (with `detail`) and resolves true when the person presses `confirmLabel`
 * ("Yes, cancel the item"), false on `keepLabel` or Escape. Focus returns to where it was.
 */
export function confirmAction({ title, detail, confirmLabel, keepLabel = 'No, keep it' }) {
  const id = `confirm-${++seq}`;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    let answer = false;
    const yes = h('button', { type: 'button', class: 'danger', text: confirmLabel });
    const no = h('button', { type: 'button', class: 'secondary', text: keepLabel });
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-detail` },
      h('h2', { id: `${id}-title`, text: title }),
      h('p', { id: `${id}-detail`, text: detail }),
      h('div', { class: 'row' }, yes, no),
    );
    yes.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    no.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener instanceof window.HTMLElement && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
