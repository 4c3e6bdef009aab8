// Customer 360: one customer's line and balances (GET /v1/customers/ID, identity masked),
// statements, installment plans and cases with the risk decisions behind them (for those who
// may read cases). Every block is the API's answer as given; a block the operator may not read
// says so. Operators with `pii.reveal` may reveal the identity in full with a reason
// (POST /v1/customers/ID/identity/reveal, audited by the server): the values live in this
// page's DOM only, gone when the page is left or hidden again. Transactions come a page at a
// time with the risk decision behind each (GET /v1/customers/ID/transactions, "Older" asks for
// the next page); devices, IPs and cards with the other accounts seen on them come from the
// risk features (GET /v1/customers/ID/devices, cases.read); case notes from the cases.

import { get, post } from './api.js';
import { h, value, kv, say, failure, fen } from './dom.js';

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
  const extra = [
    transactionsSection(base, holds('customers.read')),
    devicesSection(base, holds('cases.read')),
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
  const cases = answers[3] && answers[3].v ? answers[3].v.cases : null;
  const notes = cases ? notesSection(cases) : null;
  const [transactions, devices] = await Promise.all(extra);
  show(`Customer ${id}`, form, ...sections.slice(0, 1), reveal, transactions, devices, ...sections.slice(1), notes);
}

function block(title, ...body) {
  return h('section', { 'aria-label': title }, h('h2', null, title), ...body);
}

const notAllowed = () => h('p', { class: 'muted' }, 'Your roles do not show this.');

/** One transaction as a table row: what happened and the decision behind it. */
function transactionRow(t) {
  const d = t.decision || {};
  return h(
    'tr',
    null,
    h('td', null, t.txn_id),
    h('td', null, t.authorized_at),
    h('td', null, t.merchant_id),
    h('td', { class: 'num' }, fen(t.amount_fen)),
    h('td', null, t.status + (t.refunded_fen ? ` (refunded ${fen(t.refunded_fen)})` : '') + (t.fraud_exempt ? ' (fraud exempt)' : '')),
    h('td', null, d.outcome || '-'),
    h('td', null, (d.reasons || []).join(', ') || '-'),
    h('td', null, d.rules || '-'),
    h('td', null, d.fraud_score ?? '-'),
  );
}

/** The customer's transactions, a page at a time (Older asks for the next). */
async function transactionsSection(base, allowed) {
  if (!allowed) return block('Transactions and risk decisions', notAllowed());
  const head = ['Transaction', 'Authorized', 'Merchant', 'Amount', 'Status', 'Risk outcome', 'Reasons', 'Rules', 'Fraud score'];
  const body = h('tbody');
  const table = h(
    'table',
    { id: 'transactions' },
    h('caption', null, 'Newest first'),
    h('thead', null, h('tr', null, head.map((k) => h('th', { scope: 'col' }, k)))),
    body,
  );
  const more = h('button', { type: 'button', id: 'transactions-older' }, 'Older');
  const out = h('div', { 'aria-live': 'polite' });
  let cursor = null;
  const load = async () => {
    more.disabled = true;
    try {
      const page = await get(`${base}/transactions?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      body.append(...page.transactions.map(transactionRow));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!body.children.length) out.replaceChildren(h('p', { class: 'muted' }, 'none'));
    } catch (e) {
      out.replaceChildren(failure(e));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', load);
  await load();
  return block('Transactions and risk decisions', table, out, h('div', { class: 'actions' }, more));
}

/** Devices, IPs and cards, each with the other accounts seen on it (links to them). */
async function devicesSection(base, allowed) {
  const title = 'Devices and links';
  if (!allowed) return block(title, notAllowed());
  let seen;
  try {
    seen = await get(`${base}/devices`);
  } catch (e) {
    return block(title, failure(e));
  }
  const rows = [
    ...seen.devices.map((x) => ['device', x]),
    ...seen.ips.map((x) => ['IP', x]),
    ...seen.cards.map((x) => ['card', x]),
  ];
  if (!rows.length) return block(title, h('p', { class: 'muted' }, 'none'));
  const head = ['Kind', 'Key', 'First seen', 'Last seen', 'Other accounts'];
  const links = (ids) => (ids.length
    ? ids.map((other) => h('a', { href: `#/customers/${encodeURIComponent(other)}`, class: 'tag' }, other))
    : h('span', { class: 'muted' }, 'none'));
  return block(
    title,
    h(
      'table',
      { id: 'devices' },
      h('thead', null, h('tr', null, head.map((k) => h('th', { scope: 'col' }, k)))),
      h('tbody', null, rows.map(([kind, x]) => h('tr', null, h('td', null, kind), h('td', null, x.key), h('td', null, x.first_seen), h('td', null, x.last_seen), h('td', null, links(x.shared_with))))),
    ),
  );
}

/** Every case's notes, newest case first. */
function notesSection(cases) {
  const notes = cases.flatMap((c) => ((c.work && c.work.notes) || []).map((n) => ({ case_id: c.case_id, ...n })));
  return block('Notes', notes.length ? value(notes) : h('p', { class: 'muted' }, 'none'));
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
