// Rules: the live rule set (GET /v1/risk/rules: each graph's version and evaluator, the
// watched folder and what its watcher did), a deploy form for `rules.deploy` (a graph file's
// name and its JDM JSON: POST /v1/risk/rules, always answered 202 with a four-eyes proposal a
// second rules admin approves in the queues), and the emergency rollback for
// `emergency.rules_rollback` (POST /v1/emergency/rules-rollback, behind a confirm step), and
// a backtest form for `rules.backtest` (POST /v1/risk/backtests: the candidate graph replayed on
// every journaled decision; what changes, and on the transactions analysts labelled, the fraud
// it stops and the genuine payments it troubles). A backtest deploys nothing.

import { get, post } from './api.js';
import { h, say, kv, table, value, failure } from './dom.js';

/** The rules page. */
export async function rulesPage({ holds, show }) {
  const rules = await get('/v1/risk/rules');
  const live = h('div', null, liveSet(rules));
  const refresh = async () => live.replaceChildren(liveSet(await get('/v1/risk/rules')));
  const sections = [live];
  if (holds('rules.backtest')) sections.push(backtestForm(rules));
  if (holds('rules.deploy')) sections.push(deployForm(rules));
  if (holds('emergency.rules_rollback')) sections.push(rollback(refresh));
  show('Rules', ...sections);
}

function liveSet(rules) {
  const status = {
    enabled: rules.enabled,
    folder: rules.dir,
    reloads: rules.reloads,
    reload_failures: rules.reload_failures,
    last_reload_error: rules.last_reload_error,
  };
  return h(
    'section',
    { 'aria-labelledby': 'rules-live' },
    h('h2', { id: 'rules-live' }, `Rule set in force (${rules.graphs.length} graphs)`),
    kv(status),
    rules.graphs.length ? table(rules.graphs) : h('p', { class: 'muted' }, 'No rules: every checkpoint is allowed.'),
  );
}

/** The graph file name of a live version (`payment_authorization@v3#9f2c...`). */
const fileOf = (version) => `${version.split('@')[0]}.json`;

/**
 * A form that takes one graph (a file name and its JDM JSON) and hands it to `send`: the
 * deploy and the backtest share it. `prefix` names the fields' ids; a graph that is not JSON is
 * refused on the page, before any call.
 */
function graphForm({ prefix, rules, label, nameLabel, jdmLabel, rows, button, send }) {
  const result = h('div', { 'aria-live': 'polite', id: `${prefix}-result` });
  const files = h('datalist', { id: `${prefix}-files` }, rules.graphs.map((g) => h('option', { value: fileOf(g.version) })));
  const name = h('input', { id: `${prefix}-name`, name: 'name', required: true, list: `${prefix}-files`, placeholder: 'payment_authorization.json' });
  const jdm = h('textarea', { id: `${prefix}-jdm`, name: 'jdm', required: true, rows, spellcheck: 'false' });
  const submit = h('button', button.primary ? { type: 'submit', class: 'primary' } : { type: 'submit' }, button.text);
  const form = h(
    'form',
    { class: 'stack', 'aria-label': label },
    h('label', { for: `${prefix}-name` }, nameLabel),
    name,
    files,
    h('label', { for: `${prefix}-jdm` }, jdmLabel),
    jdm,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let graph;
    try {
      graph = JSON.parse(jdm.value);
    } catch (e) {
      result.replaceChildren(h('p', { class: 'error', role: 'alert' }, `The JDM is not JSON: ${e.message}`));
      jdm.focus();
      return;
    }
    submit.disabled = true;
    try {
      await send({ name: name.value.trim(), jdm: graph }, result, form);
    } catch (e) {
      result.replaceChildren(failure(e));
    } finally {
      submit.disabled = false;
    }
  });
  return { form, result };
}

function backtestForm(rules) {
  const { form, result } = graphForm({
    prefix: 'backtest',
    rules,
    label: 'Backtest a candidate graph',
    nameLabel: 'Candidate file name',
    jdmLabel: 'Candidate (JDM JSON)',
    rows: '8',
    button: { text: 'Run backtest' },
    send: async (graph, out) => {
      out.replaceChildren(h('p', { class: 'muted' }, 'Replaying the journal...'));
      const report = await post('/v1/risk/backtests', { graphs: [graph] });
      out.replaceChildren(...backtestReport(report));
      say(`Backtest: ${report.decisions} decisions replayed, ${report.changed} changed.`);
    },
  });
  return h('section', { 'aria-labelledby': 'rules-backtest' }, h('h2', { id: 'rules-backtest' }, 'Backtest a candidate'), form, result);
}

/** A backtest report: what changes per checkpoint, and the labelled outcomes. */
function backtestReport(report) {
  const matrix = Object.entries(report.checkpoints).flatMap(([checkpoint, c]) =>
    Object.entries(c.matrix).map(([live, row]) => ({ checkpoint, live, candidate: Object.entries(row).map(([k, n]) => `${k}: ${n}`).join(', ') })),
  );
  const l = report.labelled;
  const tally = (side, t) => ({
    rules: side,
    fraud: t.fraud.payments,
    fraud_fen: t.fraud.fen,
    stopped: t.fraud_stopped.payments,
    stopped_fen: t.fraud_stopped.fen,
    challenged: t.fraud_challenged.payments,
    allowed_fen: t.fraud_allowed.fen,
    genuine: t.genuine.payments,
    genuine_friction: t.genuine_friction.payments,
  });
  const hits = Object.entries(l.candidate_rules).map(([reason, n]) => ({ reason, ...n }));
  return [
    h('p', { class: 'ok', id: 'backtest-summary' }, `${report.decisions} decisions replayed, ${report.changed} changed${report.truncated ? ' (stopped early: the time ran out)' : ''}.`),
    matrix.length ? table(matrix, 'Live outcome x candidate outcome') : h('p', { class: 'muted' }, 'No decisions in the journal.'),
    h('p', null, `Labelled by analysts: ${l.labels} transactions; ${l.unlabelled_payments} payments unlabelled.`),
    table([tally('live', l.live), tally('candidate', l.candidate)], 'Labelled payments'),
    hits.length ? table(hits, 'Candidate reason codes on payments') : null,
    report.samples.length ? table(report.samples.map((x) => ({ at: x.at, customer: x.customer, live: x.live.outcome, candidate: x.candidate.outcome, reasons: x.candidate.reasons.join(' ') })), 'Changed decisions (samples)') : null,
    h('p', { class: 'muted' }, `Ground truth: ${report.ground_truth}`),
  ].filter(Boolean);
}

function deployForm(rules) {
  const { form, result } = graphForm({
    prefix: 'deploy',
    rules,
    label: 'Deploy a rule graph',
    nameLabel: 'Graph file',
    jdmLabel: "JDM graph (the file's JSON)",
    rows: '12',
    button: { text: 'Propose deploy', primary: true },
    send: async (graph, out, form) => {
      const answer = await post('/v1/risk/rules', { graphs: [graph] });
      if (answer.approval_id) {
        const text = `Deploy proposed: approval ${answer.approval_id}, waiting for a second rules admin.`;
        out.replaceChildren(
          h('p', { class: 'ok' }, text),
          h('dl', { class: 'kv' },
            h('dt', null, 'approval'), h('dd', null, h('a', { href: '#/queues' }, answer.approval_id)),
            h('dt', null, 'status'), h('dd', null, answer.status),
            h('dt', null, 'why'), h('dd', null, answer.reason),
            h('dt', null, 'expires'), h('dd', null, answer.expires_at)),
        );
        say(text);
      } else {
        out.replaceChildren(h('p', { class: 'ok' }, 'Deployed.'), value(answer.versions));
      }
      form.reset();
    },
  });
  return h('section', { 'aria-labelledby': 'rules-deploy' }, h('h2', { id: 'rules-deploy' }, 'Deploy a graph (four eyes)'), form, result);
}

function rollback(refresh) {
  const result = h('div', { 'aria-live': 'polite', id: 'rollback-result' });
  const confirm = h('div', { class: 'item', hidden: true, role: 'group', 'aria-label': 'Confirm the rollback' });
  const start = h('button', { type: 'button', class: 'danger' }, 'Roll back the rules...');
  const yes = h('button', { type: 'button', class: 'danger' }, 'Yes, roll back now');
  const no = h('button', { type: 'button' }, 'Cancel');
  confirm.append(
    h('p', null, 'Every decision from now on uses the rule set in force before the latest change. Rolling back again rolls forward.'),
    h('div', { class: 'actions' }, yes, no),
  );
  start.addEventListener('click', () => {
    confirm.hidden = false;
    start.disabled = true;
    no.focus();
  });
  no.addEventListener('click', () => {
    confirm.hidden = true;
    start.disabled = false;
    start.focus();
  });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      const answer = await post('/v1/emergency/rules-rollback', {});
      result.replaceChildren(h('p', { class: 'ok' }, 'Rolled back. In force now:'), value(answer.in_force));
      say('Rules rolled back');
      await refresh().catch(() => {});
    } catch (e) {
      result.replaceChildren(failure(e));
    } finally {
      yes.disabled = false;
      confirm.hidden = true;
      start.disabled = false;
      start.focus();
    }
  });
  return h(
    'section',
    { 'aria-labelledby': 'rules-rollback' },
    h('h2', { id: 'rules-rollback' }, 'Emergency rollback'),
    h('div', { class: 'actions' }, start),
    confirm,
    result,
  );
}
