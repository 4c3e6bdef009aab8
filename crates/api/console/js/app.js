// The console's shell: who is signed in (GET /v1/operators/me), the navigation (only the
// pages the operator's permissions open), and the pages by location hash (#/queues,
// #/customers/ID, #/rules, #/dashboards, #/audit). Pages offer only the actions the permissions allow; the API still
// refuses the others.

import { get, post, whenUnauthenticated } from './api.js';
import { h, show, failure, focusMain } from './dom.js';
import { loginPage } from './login.js';
import { queuesPage } from './queues.js';
import { customerPage } from './customer.js';
import { auditPage } from './audit.js';
import { rulesPage } from './rules.js';
import { dashboardPage } from './dashboard.js';

/** The pages: hash prefix, label, the permissions any of which opens it (none: every
 * operator), and its renderer. The first page the operator may open is their landing page. */
const PAGES = [
  { path: 'queues', label: 'Queues', needs: ['cases.read', 'applications.read', 'approvals.read'], render: queuesPage },
  { path: 'customers', label: 'Customer 360', needs: ['customers.read'], render: customerPage },
  { path: 'rules', label: 'Rules', needs: ['rules.read'], render: rulesPage },
  { path: 'dashboards', label: 'Dashboards', needs: [], render: dashboardPage },
  { path: 'audit', label: 'Audit', needs: ['audit.read'], render: auditPage },
];

let me = null;

// Whether this browser logged in and has not logged out since: a hint only (the session is
// the HttpOnly cookie), so that a signed-out page load shows the login page without a call
// that the server would count as a failed authentication.
const HINT = 'iou.console.signedIn';
const hint = {
  set: () => localStorage.setItem(HINT, '1'),
  clear: () => localStorage.removeItem(HINT),
  present: () => localStorage.getItem(HINT) === '1',
};

const holds = (permission) => Boolean(me && me.permissions.includes(permission));
const opens = (page) => page.needs.length === 0 || page.needs.some(holds);

function nav(current) {
  const items = PAGES.filter(opens).map((page) =>
    h('li', null, h('a', { href: `#/${page.path}`, 'aria-current': page.path === current ? 'page' : null }, page.label)),
  );
  document.getElementById('nav').replaceChildren(...items);
  const roles = me.roles.length ? me.roles.join(', ') : 'no roles';
  document.getElementById('whoami').textContent = `${me.name} (${roles})`;
  document.getElementById('top').hidden = false;
}

let generation = 0;

/** Shows the page the location names; `focus`: move focus to it (a navigation, a login). A
 * page whose render was overtaken by a newer navigation shows nothing (its `show` is void). */
async function route(focus) {
  if (!me) return;
  const mine = ++generation;
  const [path, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const page = PAGES.find((p) => p.path === path && opens(p)) || PAGES.find(opens);
  if (page && page.path !== path) {
    // Name the page shown in the location, without a second navigation.
    history.replaceState(null, '', `#/${page.path}`);
  }
  nav(page ? page.path : '');
  const current = (...nodes) => {
    if (mine === generation) show(...nodes);
  };
  if (!page) {
    current('Nothing to do here', h('p', null, 'Your roles open no page of this console.'));
    return;
  }
  const started = performance.now();
  try {
    await page.render({ holds, me, args: page.path === path ? rest.map(decodeURIComponent) : [], show: current });
  } catch (e) {
    current(page.label, failure(e));
  }
  if (mine === generation) {
    // How long the page took from its navigation to being shown (its calls included): the
    // browser tests read it (`performance.getEntriesByName('page:dashboards')`).
    performance.measure(`page:${page.path}`, { start: started });
    if (focus === true) focusMain();
  }
}

/** Signed out: the login page (and no page render still under way may replace it). */
function signedOut() {
  me = null;
  generation++;
  hint.clear();
  loginPage(signedIn);
}

async function start() {
  if (!hint.present()) {
    signedOut();
    return;
  }
  try {
    me = await get('/v1/operators/me');
  } catch {
    signedOut();
    return;
  }
  route();
}

function signedIn(who) {
  me = who;
  hint.set();
  route(true);
}

whenUnauthenticated(signedOut);

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await post('/v1/operators/logout', {});
  } finally {
    signedOut();
  }
});

// The skip link moves focus without touching the location (which names the page).
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  focusMain();
});

window.addEventListener('hashchange', () => route(true));
start();
