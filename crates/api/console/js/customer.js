// Customer 360: one customer's line and balances (GET /v1/customers/ID, identity masked),
// statements, installment plans and cases with the risk decisions behind them (for those who
// may read cases). Every block is the API's answer as given; a block the operator may not read
// says so. Operators with `pii.reveal` may reveal the identity in full with a reason
// (POST /v1/customers/ID/identity/reveal, audited by the server): the values live in this
// page's DOM only, gone when the page is left or hidden again. The API has no operator route
// listing a customer's transactions; the cases carry the decisions on the flagged ones.

import { get, post } from './api.js';
import { h, value, kv, say, failure } from './dom.js';

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
  const reveal = holds('pii.reveal') ? revealSection(id) : null;
  show(`Customer ${id}`, form, ...sections.slice(0, 1), reveal, ...sections.slice(1));
}

/** The reveal action: a reason, then the identity in full until the page is left (or hidden
 * with the button). Every reveal is a call, so every reveal is in the audit log. */
function revealSection(id) {
  const out = h('div', { 'aria-live': 'polite', id: 'revealed' });
  const reason = h('input', { name: 'reason', id: 'reveal-reason', required: true, maxlength: '200', placeholder: 'case 41: customer called about a charge' });
  const button = h('button', { type: 'submit', class: 'danger' }, 'Reveal identity');
  const form = h(
    'form',
    { class: 'actions', 'aria-label': 'Reveal identity' },
    h('label', { for: 'reveal-reason' }, 'Reason (kept in the audit log)'),
    reason,
    button,
  );
  const hide = () => {
    out.replaceChildren();
    form.hidden = false;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!reason.value.trim()) return;
    button.disabled = true;
    try {
      const revealed = await post(`/v1/customers/${encodeURIComponent(id)}/identity/reveal`, { reason: reason.value.trim() });
      form.reset();
      form.hidden = true;
      const again = h('button', { type: 'button', onclick: () => { hide(); reason.focus(); } }, 'Hide identity');
      out.replaceChildren(h('p', { class: 'muted' }, 'Shown in full until you leave this page. This reveal is in the audit log.'), kv(revealed), h('div', { class: 'actions' }, again));
      again.focus();
      // Leaving the page (another page, a reload, the browser's back-forward cache) drops it.
      window.addEventListener('pagehide', hide, { once: true });
      say('Identity revealed');
    } catch (e) {
      out.replaceChildren(failure(e));
    } finally {
      button.disabled = false;
    }
  });
  return h('section', { 'aria-label': 'Identity in full' }, h('h2', null, 'Identity in full'), form, out);
}

/** A list answer (`{statements: [...]}`) as its list; anything else as it is. */
function unwrap(v) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && Array.isArray(v[keys[0]])) return v[keys[0]];
  }
  return v;
}
