// Asks before a form marked data-confirm is sent (see src/console/confirm.ts): on "yes" the form carries
// confirmed=1 so the server acts at once; on "no" nothing is sent. Without this script the server asks on
// a page of its own instead.
'use strict';
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (!window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  let field = form.querySelector('input[name="confirmed"]');
  if (!field) {
    field = document.createElement('input');
    field.type = 'hidden';
    field.name = 'confirmed';
    form.append(field);
  }
  field.value = '1';
});
