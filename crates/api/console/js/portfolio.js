// The dashboards' credit figures (GET /v1/portfolio, customers.read): accounts by
// delinquency bucket now, the month-end roll-rate matrix (a row per bucket at one month end,
// a column per bucket at the next; cures shaded), vintage curves (the share of each opening
// month's accounts ever late by each later month end, as a table and a small SVG chart), and
// fraud lost and stopped. Shares come as integer parts per million and are shown as percents
// with two decimals by integer arithmetic.

import { get } from './api.js';
import { h, fen, failure, kv } from './dom.js';

const ORDER = ['current', 'grace', 'M1', 'M2', 'M3', 'M3+', 'charged_off'];
const SVG = 'http://www.w3.org/2000/svg';

/** Parts per million as a percent with two decimals, e.g. `12.34%`. */
export function percent(ppm) {
  if (!Number.isInteger(ppm)) return '-';
  return `${Math.trunc(ppm / 10000)}.${String(Math.trunc(Math.abs(ppm) % 10000 / 100)).padStart(2, '0')}%`;
}

/** The portfolio section, or why it is not shown. */
export async function portfolioSection(holds) {
  if (!holds('customers.read')) return h('p', { class: 'muted' }, '(needs customers.read)');
  let p;
  try {
    p = await get('/v1/portfolio');
  } catch (e) {
    return failure(e);
  }
  return h(
    'div',
    null,
    h('p', { class: 'muted' }, `As of ${p.as_of}; month ends ${p.month_ends[0] || '-'} to ${p.month_ends.at(-1) || '-'}${p.truncated ? ' (truncated: part of the portfolio)' : ''}.`),
    h('h3', null, 'Delinquency by bucket'),
    bucketTable(p.buckets),
    h('h3', null, 'Roll rates between month ends'),
    rollTable(p.roll_matrix),
    h('h3', null, 'Vintages: share ever late (M1+) by month on book'),
    vintageTable(p.vintages),
    vintageChart(p.vintages),
    h('h3', null, 'Fraud'),
    kv({ 'lost (confirmed thefts)': fen(p.fraud.lost_fen), 'lost purchases': p.fraud.lost_purchases, 'stopped (orders intercepted)': p.fraud.intercepted_orders }),
  );
}

function headRow(cells) {
  return h('thead', null, h('tr', null, cells.map((k) => h('th', { scope: 'col' }, k))));
}

function bucketTable(buckets) {
  if (!buckets.length) return h('p', { class: 'muted' }, 'no accounts');
  const sorted = [...buckets].sort((a, b) => ORDER.indexOf(a.bucket) - ORDER.indexOf(b.bucket));
  return h(
    'table',
    { id: 'buckets' },
    headRow(['Bucket', 'Accounts', 'Principal', 'Past due']),
    h('tbody', null, sorted.map((b) => h('tr', null, h('th', { scope: 'row' }, b.bucket), h('td', { class: 'num' }, b.accounts), h('td', { class: 'num' }, fen(b.principal_fen)), h('td', { class: 'num' }, fen(b.past_due_fen))))),
  );
}

function rollTable(cells) {
  if (!cells.length) return h('p', { class: 'muted', id: 'roll-rates' }, 'no two month ends yet');
  const from = ORDER.filter((b) => cells.some((c) => c.from === b));
  const to = ORDER.filter((b) => cells.some((c) => c.to === b));
  const cell = (f, t) => cells.find((c) => c.from === f && c.to === t);
  return h(
    'table',
    { id: 'roll-rates' },
    h('caption', null, 'Row: bucket at a month end; column: at the next (share of the row, accounts)'),
    headRow(['from \\ to', ...to]),
    h('tbody', null, from.map((f) => h('tr', null, h('th', { scope: 'row' }, f), to.map((t) => {
      const c = cell(f, t);
      return h('td', { class: c && c.cure ? 'num cure' : 'num' }, c ? `${percent(c.ppm)} (${c.accounts})` : '-');
    })))),
  );
}

function vintageTable(vintages) {
  if (!vintages.length) return h('p', { class: 'muted' }, 'no cohorts');
  const months = Math.max(...vintages.map((v) => v.ever_late_ppm.length), 0);
  return h(
    'table',
    { id: 'vintages' },
    headRow(['Cohort', 'Accounts', ...Array.from({ length: months }, (_, i) => `MOB ${i}`)]),
    h('tbody', null, vintages.map((v) => h('tr', null, h('th', { scope: 'row' }, v.cohort), h('td', { class: 'num' }, v.accounts), Array.from({ length: months }, (_, i) => h('td', { class: 'num' }, i < v.ever_late_ppm.length ? percent(v.ever_late_ppm[i]) : ''))))),
  );
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** One line per cohort: ever-late share by month on book (inline SVG, no script or style in it). */
function vintageChart(vintages) {
  const lines = vintages.filter((v) => v.ever_late_ppm.length > 1);
  if (!lines.length) return null;
  const [w, hgt, pad] = [360, 160, 28];
  const months = Math.max(...lines.map((v) => v.ever_late_ppm.length)) - 1;
  const top = Math.max(...lines.flatMap((v) => v.ever_late_ppm), 1);
  const x = (i) => pad + (i * (w - 2 * pad)) / Math.max(months, 1);
  const y = (ppm) => hgt - pad - (ppm * (hgt - 2 * pad)) / top;
  const colours = ['#0b6bcb', '#c2410c', '#15803d', '#7c3aed', '#be185d', '#0f766e'];
  return svg(
    'svg',
    { class: 'chart', width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': 'Vintage curves: share ever late by month on book' },
    svg('line', { x1: pad, y1: hgt - pad, x2: w - pad, y2: hgt - pad }),
    svg('line', { x1: pad, y1: pad, x2: pad, y2: hgt - pad }),
    svg('text', { x: pad, y: pad - 8 }, percent(top)),
    svg('text', { x: w - pad - 40, y: hgt - 8 }, `MOB ${months}`),
    ...lines.map((v, i) => svg('polyline', { stroke: colours[i % colours.length], points: v.ever_late_ppm.map((p, m) => `${x(m)},${y(p)}`).join(' ') }, svg('title', {}, v.cohort))),
  );
}
