// Dashboards (any operator): the engine's health as the load balancer sees it (GET /readyz),
// a few figures read from the Prometheus text of GET /metrics (counters of the API's calls
// since the server started, gauges as of now: what reaches the engine without the API, like
// the demo's in-process simulation, is not counted), and the queue counts from the JSON routes the operator's roles
// may read (a count the roles do not show says so), the approval rate and friction of those
// counters, and the credit portfolio (`portfolio.js`: buckets, roll rates, vintages, fraud).
// Nothing here is kept: each figure is the server's answer at the moment the page was shown
// (Refresh asks again).

import { get } from './api.js';
import { h, kv, failure } from './dom.js';
import { portfolioSection, percent } from './portfolio.js';

/** The dashboards page. */
export async function dashboardPage({ holds, show }) {
  const [ready, metrics, queues, portfolio] = await Promise.all([readiness(), scrape(), queueCounts(holds), portfolioSection(holds)]);
  const refresh = h('button', { type: 'button', onclick: () => window.dispatchEvent(new HashChangeEvent('hashchange')) }, 'Refresh');
  show(
    'Dashboards',
    h('div', { class: 'actions' }, refresh, h('span', { class: 'muted' }, `as of ${new Date().toISOString()}`)),
    section('dash-health', 'Engine health', ready),
    section('dash-queues', 'Queues', queues),
    section('dash-metrics', 'Through the API since the server started', metrics),
    section('dash-portfolio', 'Credit portfolio', portfolio),
  );
}

function section(id, title, body) {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), body);
}

/** GET /readyz: 200 ready, or 503 with the reason. */
async function readiness() {
  try {
    const response = await fetch('/readyz', { cache: 'no-store' });
    const body = await response.json();
    const line = response.ok
      ? h('p', { class: 'ok' }, 'Ready: the engine runs and the read models are current.')
      : h('p', { class: 'error', role: 'alert' }, `Not ready: ${body.reason || response.status}`);
    return h('div', null, line, kv(body));
  } catch (e) {
    return failure({ code: 'unreachable', message: e.message });
  }
}

/** The Prometheus text format's samples: `{name, labels, value}` (comments skipped). */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] || '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v.replace(/\\(.)/g, '$1');
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

const sum = (samples, name, where = () => true) =>
  samples.filter((s) => s.name === name && where(s.labels)).reduce((total, s) => total + s.value, 0);

const one = (samples, name) => {
  const found = samples.find((s) => s.name === name);
  return found ? found.value : null;
};

/** GET /metrics, reduced to the figures an operator glances at. */
async function scrape() {
  let samples;
  try {
    const response = await fetch('/metrics', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    samples = parseMetrics(await response.text());
  } catch (e) {
    return failure({ code: 'metrics', message: e.message });
  }
  const outcomes = {};
  for (const s of samples.filter((x) => x.name === 'iou_authorizations_total')) {
    outcomes[s.labels.outcome] = (outcomes[s.labels.outcome] || 0) + s.value;
  }
  const byClass = {};
  for (const s of samples.filter((x) => x.name === 'iou_http_requests_total')) {
    const cls = `${String(s.labels.status || '?')[0]}xx`;
    byClass[cls] = (byClass[cls] || 0) + s.value;
  }
  const lag = one(samples, 'iou_read_model_lag_seconds');
  const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
  const share = (part, whole) => (whole ? percent(Math.trunc((part * 1000000) / whole)) : '-');
  const decisions = sum(samples, 'iou_risk_decisions_total');
  const outbox = one(samples, 'iou_webhook_outbox_oldest_age_seconds');
  return h(
    'div',
    { class: 'figures' },
    figure('Authorizations by outcome', kv(outcomes)),
    figure('Approvals, fraud stopped, friction', kv({
      'approval rate': share(outcomes.approved || 0, total),
      'declined by risk': outcomes.declined_risk || 0,
      'friction (step-ups asked)': share(sum(samples, 'iou_risk_decisions_total', (l) => l.outcome === 'challenge'), decisions),
      'risk decisions': decisions,
    })),
    figure('HTTP requests', kv({ total: sum(samples, 'iou_http_requests_total'), ...byClass })),
    figure('Read models', kv({
      lag_seconds: lag,
      lag_batches: one(samples, 'iou_read_model_lag_batches'),
    })),
    figure('Webhook outbox', kv({
      pending: one(samples, 'iou_webhook_outbox_pending'),
      oldest_age_seconds: outbox,
    })),
  );
}

function figure(title, body) {
  return h('div', { class: 'item' }, h('h3', null, title), body);
}

/** The queue counts the roles may read, each from its own route. */
async function queueCounts(holds) {
  const counts = {};
  const tries = [];
  const count = (label, permission, load) => {
    if (!holds(permission)) {
      counts[label] = `(needs ${permission})`;
      return;
    }
    tries.push(load().then((n) => (counts[label] = n), (e) => (counts[label] = `${e.code}: ${e.message}`)));
  };
  // The case queues' counts in one call (open, unassigned, past the SLA), not every case.
  count('cases open', 'cases.read', async () => {
    const { queues } = await get('/v1/case-queues');
    return queues.map((q) => `${q.name} ${q.open} (${q.unassigned} unassigned, ${q.breached} late)`).join('; ') || 0;
  });
  count('applications in review', 'applications.read', async () => (await get('/v1/applications?status=review')).applications.length);
  count('temporary-limit requests', 'limits.temporary', async () => (await get('/v1/temporary-limit-requests?status=pending')).requests.length);
  count('approvals pending', 'approvals.read', async () => {
    const { approvals } = await get('/v1/approvals?status=pending&limit=500');
    return approvals.length === 500 ? '500 or more' : approvals.length;
  });
  await Promise.all(tries);
  return kv({
    'cases open': counts['cases open'],
    'applications in review': counts['applications in review'],
    'temporary-limit requests': counts['temporary-limit requests'],
    'approvals pending': counts['approvals pending'],
  });
}
