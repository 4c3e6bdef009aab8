// Queues: open theft reports and interceptions at delivery (GET /v1/cases, with the evidence
// of every decision: checkpoint, outcome, reason codes, rules that fired, device, address),
// and applications waiting for an analyst (GET /v1/applications?status=review, with the
// model's score, reasons and rules), and four-eyes proposals waiting for a second operator
// (GET /v1/approvals?status=pending: approve or reject another operator's proposal). Each item
// shows its age and only the actions the operator's permissions allow. A case shows who holds
// it, its SLA, notes and links; "My cases" filters to the caller's; an unassigned case can be
// claimed (POST .../claim) and any case noted (POST .../notes) by whoever may resolve cases.
// Payments held for review (cases of kind payment_review) show the decision in full (reason
// codes, rules, model scores, features) with Release and Decline; temporary-limit requests
// risk sent to review (GET /v1/temporary-limit-requests?status=pending, limits.temporary)
// show theirs with Approve and Decline.

import { get, post } from './api.js';
import { h, say, age, fen, value, kv, table, failure } from './dom.js';

/** The queues page. */
export async function queuesPage({ holds, me, args, show }) {
  // Every list the roles may read is asked for at once (a page waits for its slowest call,
  // not for their sum).
  const mineOnly = args && args[0] === 'mine';
  const maybe = (permission, path) => (holds(permission) ? get(path) : Promise.resolve(null));
  const [approvals, cases, limits, applications] = await Promise.all([
    maybe('approvals.read', '/v1/approvals?status=pending'),
    maybe('cases.read', mineOnly ? '/v1/cases?status=open&mine=true' : '/v1/cases?status=open'),
    maybe('limits.temporary', '/v1/temporary-limit-requests?status=pending'),
    maybe('applications.read', '/v1/applications?status=review'),
  ]);
  const sections = [];
  if (approvals) sections.push(approvalQueue(approvals.approvals, holds, me));
  if (cases) {
    const open = cases.cases.filter((c) => c.status === 'open');
    sections.push(
      h('p', null, mineOnly ? h('a', { href: '#/queues' }, 'All cases') : h('a', { href: '#/queues/mine', id: 'my-cases' }, 'My cases')),
    );
    sections.push(caseQueue('Theft reports', 'theft', open, holds, me));
    sections.push(caseQueue('Interceptions at delivery', 'interception', open, holds, me));
    sections.push(caseQueue('Payments held for review', 'payment_review', open, holds, me));
  }
  if (limits) sections.push(limitRequestQueue(limits.requests, me));
  if (applications) sections.push(applicationQueue(applications.applications, holds));
  show('Queues', ...sections);
}

function caseQueue(title, kind, open, holds, me) {
  const items = open.filter((c) => c.kind === kind);
  const id = `queue-${kind}`;
  return h(
    'section',
    { 'aria-labelledby': id },
    h('h2', { id }, `${title} (${items.length})`),
    items.length ? items.map((c) => caseItem(c, holds, me)) : h('p', { class: 'muted' }, 'Nothing waiting.'),
  );
}

function caseItem(c, holds, me) {
  const result = h('div', { 'aria-live': 'polite' });
  const work = c.work || { notes: [], linked_case_ids: [] };
  const claim = async (button) => {
    button.disabled = true;
    try {
      const claimed = await post(`/v1/cases/${encodeURIComponent(c.case_id)}/claim`, {});
      const text = `Case ${c.case_id} is yours (${claimed.work.assignee}).`;
      result.replaceChildren(h('p', { class: 'ok' }, text));
      say(text);
    } catch (e) {
      button.disabled = false;
      result.replaceChildren(failure(e));
    }
  };
  const note = h('input', { name: 'note', 'aria-label': `Note on case ${c.case_id}`, placeholder: 'add a note' });
  const addNote = async (button) => {
    if (!note.value.trim()) return;
    button.disabled = true;
    try {
      const noted = await post(`/v1/cases/${encodeURIComponent(c.case_id)}/notes`, { text: note.value });
      notes.replaceChildren(...noteList(noted.work.notes));
      note.value = '';
      say(`Note added to case ${c.case_id}.`);
    } catch (e) {
      result.replaceChildren(failure(e));
    } finally {
      button.disabled = false;
    }
  };
  const notes = h('ul', { class: 'notes' }, ...noteList(work.notes));
  const resolve = async (confirm, button) => {
    button.disabled = true;
    try {
      const resolved = await post(`/v1/cases/${encodeURIComponent(c.case_id)}/resolve`, { confirm });
      // Confirming a theft exempts its transactions: a second operator approves it (202).
      const text = resolved.approval_id
        ? `Case ${c.case_id}: sent for a second operator's approval (approval ${resolved.approval_id}).`
        : `Case ${resolved.case_id} ${resolved.status}.`;
      result.replaceChildren(h('p', { class: 'ok' }, text));
      say(text);
      item.querySelectorAll('.actions button').forEach((b) => (b.disabled = true));
    } catch (e) {
      button.disabled = false;
      result.replaceChildren(failure(e));
    }
  };
  const actions = [];
  const mine = me && work.assignee_id !== null && work.assignee_id !== undefined && String(work.assignee_id) === String(me.operator_id);
  if (holds('cases.resolve') && !work.assignee_id) {
    actions.push(h('button', { type: 'button', onclick: (e) => claim(e.currentTarget) }, 'Claim'));
  }
  if (holds('cases.resolve')) {
    if (c.kind === 'payment_review') {
      // Releasing lets the merchant capture and ship; declining voids the hold.
      actions.push(h('button', { type: 'button', class: 'primary', onclick: (e) => resolve(false, e.currentTarget) }, 'Release payment'));
      actions.push(h('button', { type: 'button', class: 'danger', onclick: (e) => resolve(true, e.currentTarget) }, 'Decline payment'));
    } else if (c.kind !== 'theft' || holds('fraud.exempt')) {
      // Confirming a theft exempts its transactions: that also takes fraud.exempt.
      actions.push(h('button', { type: 'button', class: 'primary', onclick: (e) => resolve(true, e.currentTarget) }, c.kind === 'theft' ? 'Confirm theft' : 'Confirm fraud'));
    }
    if (c.kind !== 'payment_review') {
      actions.push(h('button', { type: 'button', onclick: (e) => resolve(false, e.currentTarget) }, 'Reject'));
    }
  }
  const item = h(
    'article',
    { class: 'item', 'data-case': c.case_id, 'aria-label': `Case ${c.case_id}` },
    h('h3', null, `Case ${c.case_id} `, h('span', { class: 'muted' }, `opened ${age(c.opened_at)} ago`)),
    h(
      'dl',
      { class: 'kv' },
      h('dt', null, 'customer'),
      h('dd', null, h('a', { href: `#/customers/${encodeURIComponent(c.customer_id)}` }, c.customer_id)),
      h('dt', null, 'opened at'),
      h('dd', null, c.opened_at),
      h('dt', null, 'transactions'),
      h('dd', null, value(c.txn_ids)),
      h('dt', null, 'assigned to'),
      h('dd', { class: 'assignee' }, work.assignee ? `${work.assignee}${mine ? ' (you)' : ''} by ${work.assigned_by}${work.reason ? `: ${work.reason}` : ''}` : 'nobody'),
      h('dt', null, 'SLA'),
      h('dd', { class: work.sla_breached ? 'error' : '' }, work.sla_due_at ? `${work.sla_breached ? 'late since' : 'due'} ${work.sla_due_at}` : '-'),
      h('dt', null, 'linked cases'),
      h('dd', null, value(work.linked_case_ids)),
    ),
    h('h4', null, 'Evidence'),
    c.evidence && c.evidence.length ? table(c.evidence) : h('p', { class: 'muted' }, 'No decision evidence recorded.'),
    c.decision ? decisionView(c.decision) : null,
    actions.length ? h('div', { class: 'actions' }, actions) : null,
    h('h4', null, 'Notes'),
    notes,
    holds('cases.resolve') ? h('div', { class: 'actions' }, note, h('button', { type: 'button', onclick: (e) => addNote(e.currentTarget) }, 'Add note')) : null,
    result,
  );
  return item;
}

/** A risk decision in full: outcome, reason codes, rules, model scores; features folded. */
function decisionView(d) {
  return h(
    'div',
    { class: 'decision' },
    h(
      'dl',
      { class: 'kv' },
      h('dt', null, 'outcome'), h('dd', null, d.outcome),
      h('dt', null, 'reason codes'), h('dd', null, value(d.reasons)),
      h('dt', null, 'rules'), h('dd', null, d.rules),
      h('dt', null, 'model scores'), h('dd', null, value(d.models)),
    ),
    h('details', null, h('summary', null, 'Features the rules saw'), h('pre', { class: 'json' }, JSON.stringify(d.features, null, 2))),
  );
}

function limitRequestQueue(requests, me) {
  return h(
    'section',
    { 'aria-labelledby': 'queue-limit-requests' },
    h('h2', { id: 'queue-limit-requests' }, `Temporary-limit requests (${requests.length})`),
    requests.length ? requests.map((r) => limitRequestItem(r, me)) : h('p', { class: 'muted' }, 'Nothing waiting.'),
  );
}

function limitRequestItem(r, me) {
  const result = h('div', { 'aria-live': 'polite' });
  const mine = me && r.assignee_id !== null && String(r.assignee_id) === String(me.operator_id);
  const assignee = h('dd', { class: 'assignee' }, r.assignee_name ? `${r.assignee_name}${mine ? ' (you)' : ''}` : 'nobody');
  const claim = async (button) => {
    button.disabled = true;
    try {
      const claimed = await post(`/v1/temporary-limit-requests/${encodeURIComponent(r.request_id)}/claim`, {});
      assignee.textContent = `${claimed.assignee_name} (you)`;
      button.remove();
      say(`Limit request ${r.request_id} claimed.`);
    } catch (e) {
      button.disabled = false;
      result.replaceChildren(failure(e));
    }
  };
  const decide = async (approve, button) => {
    button.disabled = true;
    try {
      const decided = await post(`/v1/temporary-limit-requests/${encodeURIComponent(r.request_id)}/decide`, { approve });
      const text = `Limit request ${r.request_id} ${decided.status}.`;
      result.replaceChildren(h('p', { class: 'ok' }, text));
      say(text);
      item.querySelectorAll('.actions button').forEach((b) => (b.disabled = true));
    } catch (e) {
      button.disabled = false;
      result.replaceChildren(failure(e));
    }
  };
  const item = h(
    'article',
    { class: 'item', 'data-limit-request': r.request_id, 'aria-label': `Limit request ${r.request_id}` },
    h('h3', null, `Limit request ${r.request_id} `, h('span', { class: 'muted' }, `asked ${age(r.requested_at)} ago`)),
    h(
      'dl',
      { class: 'kv' },
      h('dt', null, 'customer'),
      h('dd', null, h('a', { href: `#/customers/${encodeURIComponent(r.customer_id)}` }, r.customer_id)),
      h('dt', null, 'temporary limit'), h('dd', null, fen(r.amount_fen)),
      h('dt', null, 'days'), h('dd', null, String(r.days)),
      h('dt', null, 'assigned to'), assignee,
      h('dt', null, 'SLA'),
      h('dd', { class: r.sla_breached ? 'error' : '' }, `${r.sla_breached ? 'late since' : 'due'} ${r.sla_due_at}`),
    ),
    decisionView(r.decision),
    h(
      'div',
      { class: 'actions' },
      r.assignee_id ? null : h('button', { type: 'button', onclick: (e) => claim(e.currentTarget) }, 'Claim'),
      h('button', { type: 'button', class: 'primary', onclick: (e) => decide(true, e.currentTarget) }, 'Approve'),
      h('button', { type: 'button', class: 'danger', onclick: (e) => decide(false, e.currentTarget) }, 'Decline'),
    ),
    result,
  );
  return item;
}

function noteList(list) {
  if (!list || !list.length) return [h('li', { class: 'muted' }, 'No notes.')];
  return list.map((n) => h('li', null, h('span', { class: 'muted' }, `${n.at} ${n.author}: `), n.text));
}

function applicationQueue(applications, holds) {
  return h(
    'section',
    { 'aria-labelledby': 'queue-applications' },
    h('h2', { id: 'queue-applications' }, `Applications in review (${applications.length})`),
    applications.length ? applications.map((a) => applicationItem(a, holds)) : h('p', { class: 'muted' }, 'Nothing waiting.'),
  );
}

function applicationItem(a, holds) {
  const result = h('div', { 'aria-live': 'polite' });
  const act = async (verb, body, button) => {
    button.disabled = true;
    try {
      const answer = await post(`/v1/applications/${encodeURIComponent(a.application_id)}/${verb}`, body);
      const status = answer.status || (answer.application && answer.application.status) || verb;
      result.replaceChildren(h('p', { class: 'ok' }, `Application ${a.application_id}: ${status}.`));
      say(`Application ${a.application_id} ${status}`);
      item.querySelectorAll('.actions button, .actions input').forEach((b) => (b.disabled = true));
    } catch (e) {
      button.disabled = false;
      result.replaceChildren(failure(e));
    }
  };
  const actions = [];
  if (holds('applications.decide')) {
    const limit = h('input', { type: 'number', min: '1', step: '1', name: 'limit_fen', 'aria-label': 'Limit to grant, in fen (the proposal when empty)', placeholder: 'limit in fen' });
    const reasons = h('input', { name: 'reasons', 'aria-label': 'Decline reason codes, comma separated', placeholder: 'REASON_CODE, ...' });
    actions.push(
      limit,
      h('button', {
        type: 'button', class: 'primary',
        onclick: (e) => act('approve', limit.value ? { limit_fen: Number(limit.value) } : {}, e.currentTarget),
      }, 'Approve'),
      reasons,
      h('button', {
        type: 'button', class: 'danger',
        onclick: (e) => act('decline', { reasons: reasons.value.split(',').map((r) => r.trim()).filter(Boolean) }, e.currentTarget),
      }, 'Decline'),
    );
  }
  const item = h(
    'article',
    { class: 'item', 'data-application': a.application_id, 'aria-label': `Application ${a.application_id}` },
    h('h3', null, `Application ${a.application_id} `, h('span', { class: 'muted' }, `applied ${age(a.applied_at)} ago`)),
    h(
      'dl',
      { class: 'kv' },
      h('dt', null, 'applicant'), h('dd', null, `${a.name} (${a.id_number})`),
      h('dt', null, 'proposed limit'), h('dd', null, a.limit_fen === null ? '-' : fen(a.limit_fen)),
      h('dt', null, 'tier'), h('dd', null, value(a.tier)),
      h('dt', null, 'score'), h('dd', null, value(a.score)),
      h('dt', null, 'reason codes'), h('dd', null, value(a.reasons)),
      h('dt', null, 'rules fired'), h('dd', null, value(a.rules)),
    ),
    actions.length ? h('div', { class: 'actions' }, actions) : null,
    result,
  );
  return item;
}

function approvalQueue(approvals, holds, me) {
  return h(
    'section',
    { 'aria-labelledby': 'queue-approvals' },
    h('h2', { id: 'queue-approvals' }, `Four-eyes approvals waiting (${approvals.length})`),
    approvals.length ? approvals.map((a) => approvalItem(a, holds, me)) : h('p', { class: 'muted' }, 'Nothing waiting.'),
  );
}

function approvalItem(a, holds, me) {
  const result = h('div', { 'aria-live': 'polite' });
  const decide = async (verb, button) => {
    button.disabled = true;
    try {
      const decided = await post(`/v1/approvals/${encodeURIComponent(a.approval_id)}/${verb}`, note.value ? { note: note.value } : {});
      const outcome = decided.result_status ? `${decided.status} (HTTP ${decided.result_status})` : decided.status;
      const text = `Approval ${a.approval_id}: ${outcome}.`;
      result.replaceChildren(h('p', { class: decided.status === 'failed' ? 'error' : 'ok' }, text));
      if (decided.result) result.append(kv(decided.result));
      say(text);
      item.querySelectorAll('.actions button, .actions input').forEach((b) => (b.disabled = true));
    } catch (e) {
      button.disabled = false;
      result.replaceChildren(failure(e));
    }
  };
  const note = h('input', { name: 'note', 'aria-label': 'Note (why)', placeholder: 'note' });
  // The server refuses the maker and an operator without the proposal's permissions; the page
  // does not offer them either.
  const mine = me && a.maker === me.name;
  const able = holds('approvals.decide') && !mine && a.permissions.every(holds);
  const actions = able
    ? [
        note,
        h('button', { type: 'button', class: 'primary', onclick: (e) => decide('approve', e.currentTarget) }, 'Approve'),
        h('button', { type: 'button', class: 'danger', onclick: (e) => decide('reject', e.currentTarget) }, 'Reject'),
      ]
    : [h('p', { class: 'muted' }, mine ? 'Your proposal: another operator decides it.' : 'You may not decide this one.')];
  const item = h(
    'article',
    { class: 'item', 'data-approval': a.approval_id, 'aria-label': `Approval ${a.approval_id}` },
    h('h3', null, `Approval ${a.approval_id}: ${a.action} `, h('span', { class: 'muted' }, `proposed ${age(a.created_at)} ago`)),
    h(
      'dl',
      { class: 'kv' },
      h('dt', null, 'proposed by'), h('dd', null, a.maker),
      h('dt', null, 'why it needs two'), h('dd', null, a.reason),
      h('dt', null, 'call'), h('dd', null, `${a.method} ${a.path}`),
      h('dt', null, 'request'), h('dd', null, request(a.request)),
      h('dt', null, 'needs'), h('dd', null, value(a.permissions)),
      h('dt', null, 'expires'), h('dd', null, a.expires_at),
    ),
    h('div', { class: 'actions' }, actions),
    result,
  );
  return item;
}

/** A proposal's request: as a value when short; a large one (a rule graph) as its JSON text,
 * folded, under a line naming its graphs. */
function request(body) {
  const text = JSON.stringify(body);
  if (text.length <= 400) return value(body);
  const graphs = body && Array.isArray(body.graphs) ? `graphs ${body.graphs.map((g) => g.name).join(', ')}: ` : '';
  return h(
    'details',
    null,
    h('summary', null, `${graphs}${text.length} characters of JSON`),
    h('pre', { class: 'json' }, JSON.stringify(body, null, 2)),
  );
}
