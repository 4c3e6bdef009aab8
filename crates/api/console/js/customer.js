// Customer 360: one customer's line and balances (GET /v1/customers/ID, identity masked),
// statements, installment plans and cases (for those who may read cases). Every block is the
// API's answer as given; a block the operator may not read says so.

import { get } from './api.js';
import { h, value, failure } from './dom.js';

/** The customer page: a lookup form, and the customer named in the location (#/customers/ID). */
export async function customerPage({ holds, args, show }) {
  const id = args[0] || '';
  const input = h('input', { name: 'customer', id: 'customer-id', inputmode: 'numeric', required: true, value: id });
  const form = h(
    'form',
    { role: 'search', class: 'actions' },
    h('label', { for: 'customer-id' }, 'Customer id'),
    input,
    h('button', { type: 'submit', class: 'primary' }, 'Open'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/customers/${encodeURIComponent(input.value.trim())}`;
  });
  if (!id) {
    show('Customer 360', form);
    input.focus();
    return;
  }
  const base = `/v1/customers/${encodeURIComponent(id)}`;
  const blocks = [
    ['Line and balances', base, true],
    ['Statements', `${base}/statements`, true],
    ['Plans', `${base}/plans`, true],
    ['Cases', `${base}/cases`, holds('cases.read')],
  ];
  const answers = await Promise.all(
    blocks.map(([, path, allowed]) => (allowed ? get(path).then((v) => ({ v }), (e) => ({ e })) : Promise.resolve(null))),
  );
  const sections = blocks.map(([title], i) => {
    const answer = answers[i];
    const body = answer === null
      ? h('p', { class: 'muted' }, 'Your roles do not show this.')
      : answer.e ? failure(answer.e) : value(unwrap(answer.v));
    return h('section', { 'aria-label': title }, h('h2', null, title), body);
  });
  show(`Customer ${id}`, form, ...sections);
}

/** A list answer (`{statements: [...]}`) as its list; anything else as it is. */
function unwrap(v) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && Array.isArray(v[keys[0]])) return v[keys[0]];
  }
  return v;
}
