// Building the page: elements from data with textContent only (no HTML from strings, so
// nothing the API returns can become markup), and the few formats every page shares.

/** An element: `h('a', {href: '#/x'}, 'text', child)`. Attributes starting with `on` are
 * listeners; `null` children are skipped. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces the main area with `nodes` and titles the page. Focus stays where it is on a
 * first load (the skip link is the first stop); the shell moves it to the page after a
 * navigation or a login (`focusMain`). */
export function show(title, ...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(h('h1', null, title), ...nodes);
  document.title = `${title} - iou console`;
}

/** Moves focus to the main area (after a navigation, a login, or the skip link). */
export function focusMain() {
  document.getElementById('main').focus();
}

/** A short message for screen readers and eyes. */
export function say(text) {
  const status = document.getElementById('status');
  status.textContent = text;
  setTimeout(() => {
    if (status.textContent === text) status.textContent = '';
  }, 4000);
}

/** Fen as yuan with two decimals (integer arithmetic: no float touches the amount). */
export function fen(value) {
  if (typeof value !== 'number' || !Number.isInteger(value)) return String(value);
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  return `${sign}¥${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** How long ago an RFC 3339 time was, in words. */
export function age(at) {
  const then = Date.parse(at);
  if (Number.isNaN(then)) return '';
  const minutes = Math.max(0, Math.round((Date.now() - then) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

/** A value as the API gave it: objects as key/value lists, arrays of objects as tables,
 * fields ending in `_fen` as money. */
export function value(v, key = '') {
  if (v === null || v === undefined) return h('span', { class: 'muted' }, '-');
  if (key.endsWith('_fen') && typeof v === 'number') return fen(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return h('span', { class: 'muted' }, 'none');
    if (v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) return table(v);
    return h('span', null, v.map((x) => h('span', { class: 'tag' }, typeof x === 'object' ? JSON.stringify(x) : x)));
  }
  if (typeof v === 'object') return kv(v);
  return String(v);
}

/** An object as a definition list. */
export function kv(object) {
  return h('dl', { class: 'kv' }, Object.entries(object).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, value(v, k))]));
}

/** Objects as a table with the union of their keys as columns. */
export function table(rows, caption) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return h(
    'table',
    null,
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, keys.map((k) => h('th', { scope: 'col' }, k)))),
    h('tbody', null, rows.map((r) => h('tr', null, keys.map((k) => h('td', null, value(r[k], k)))))),
  );
}

/** An error as a paragraph (with the permission a 403 names). */
export function failure(error) {
  const extra = error.permission ? ` (needs ${error.permission})` : '';
  return h('p', { class: 'error', role: 'alert' }, `${error.code || 'error'}: ${error.message}${extra}`);
}
