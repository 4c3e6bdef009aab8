// Audit: the audit log a page at a time (GET /v1/audit?after=&limit=), searched by actor,
// action, target or outcome within the page, and a button that walks the whole chain on the
// server (GET /v1/audit/verify) and says whether it is intact, or the first bad record.

import { get } from './api.js';
import { h, failure, kv } from './dom.js';

const LIMIT = 100;

/** The audit page from record `after` (the location's #/audit/AFTER). */
export async function auditPage({ args, show }) {
  const after = Number.parseInt(args[0] || '0', 10) || 0;
  const page = await get(`/v1/audit?after=${after}&limit=${LIMIT}`);
  const query = h('input', { type: 'search', id: 'audit-q', name: 'q' });
  const rows = h('tbody');
  const fill = () => {
    const q = query.value.trim().toLowerCase();
    const shown = page.records.filter((r) =>
      !q || [r.actor, r.action, r.target, r.outcome, r.detail].some((f) => String(f).toLowerCase().includes(q)),
    );
    rows.replaceChildren(
      ...shown.map((r) =>
        h('tr', null, h('td', null, r.seq), h('td', null, r.at), h('td', null, r.actor), h('td', null, r.action),
          h('td', null, r.target), h('td', null, r.outcome), h('td', null, r.detail)),
      ),
    );
  };
  query.addEventListener('input', fill);
  fill();
  const verdict = h('div', { 'aria-live': 'polite', id: 'verdict' });
  const verify = h('button', { type: 'button', class: 'primary' }, 'Verify the chain');
  verify.addEventListener('click', async () => {
    verify.disabled = true;
    verdict.replaceChildren(h('p', null, 'Verifying...'));
    try {
      const v = await get('/v1/audit/verify');
      const line = v.intact
        ? h('p', { class: 'ok' }, `Intact: ${v.records} records chained.`)
        : h('p', { class: 'error', role: 'alert' }, `BROKEN at record ${v.broken_at}: ${v.why}`);
      verdict.replaceChildren(line, kv(v));
    } catch (e) {
      verdict.replaceChildren(failure(e));
    } finally {
      verify.disabled = false;
    }
  });
  const paging = h(
    'nav',
    { 'aria-label': 'Audit pages', class: 'actions' },
    after > 0 ? h('a', { href: `#/audit/${Math.max(0, after - LIMIT)}` }, 'Previous page') : null,
    page.next_after ? h('a', { href: `#/audit/${page.next_after}` }, 'Next page') : null,
  );
  show(
    'Audit log',
    h('div', { class: 'actions' }, verify),
    verdict,
    h('label', { for: 'audit-q' }, 'Search this page'),
    query,
    h(
      'table',
      null,
      h('caption', null, `Records after ${after}`),
      h('thead', null, h('tr', null, ['seq', 'at', 'actor', 'action', 'target', 'outcome', 'detail'].map((k) => h('th', { scope: 'col' }, k)))),
      rows,
    ),
    paging,
  );
}
