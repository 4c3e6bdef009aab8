// The operator console in a real browser (Debian's Chromium, driven by the pinned
// playwright-core): starts `iou serve` on a fresh data directory, makes operators for the
// roles through the API (the bootstrap token once, then the admin's session; TOTP codes
// computed here from the secrets), and drives the console as each:
//
// - the login page works from the keyboard, and the skip link is the first stop;
// - support sees no queue and no resolve action, and the server refuses the action anyway
//   (a direct fetch with the console's cookie and header: 403), and without the header the
//   cookie is no credential (401); the session token is not readable by script; a page of
//   another site can neither post a form with the cookie nor call with the header;
// - an analyst approves an application in review from the queue;
// - the fraud team confirms a customer's theft report from the queue, a second fraud operator
//   approves the confirmation in the four-eyes queue (the maker is not offered it) (the purchase made by a
//   signed merchant call on a line an application opened);
// - the fraud team releases a payment held for review (its decision shown) from the queue;
// - a credit officer claims a temporary-limit request (its SLA shown) and approves it;
// - an auditor verifies the audit chain from the audit page;
// - an analyst reveals a customer's identity with a reason (support is not offered it), and the
//   full values are gone once the page is left;
// - a rules admin proposes a rule deploy on the Rules page, a second rules admin approves it in
//   the four-eyes queue, the Rules page shows the new version, and the emergency rollback
//   (behind its confirm step) puts the old one back;
// - Customer 360 shows the purchase with the risk decision behind it and the devices seen;
//   the dashboards show approvals, friction, delinquency by bucket, roll rates and vintages;
// - every action of the Rules, Customer 360 and Dashboards pages is reached with Tab.
//
// Usage: node console.test.mjs (IOU_BIN: the iou binary; CHROMIUM: the browser; both
// defaulted by scripts/browser-tests.sh). Prints how long each page took to show.

import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { totp } from './totp.mjs';

const IOU = process.env.IOU_BIN || path.resolve('../../target/debug/iou');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ADMIN_TOKEN = `browser-admin-${crypto.randomBytes(8).toString('hex')}`;
const PASSWORD = 'browser-password-0123';
const RULES = fileURLToPath(new URL('../../rules', import.meta.url));

async function startServer(dir) {
  execFileSync(IOU, ['keys', 'init', '--out', path.join(dir, 'keys')], { stdio: 'ignore' });
  // A rules folder of its own (a copy of the repository's): a deploy through the API needs one.
  fs.cpSync(RULES, path.join(dir, 'rules'), { recursive: true });
  const child = spawn(
    IOU,
    ['serve', '--data', path.join(dir, 'store'), '--listen', '127.0.0.1:0', '--key-file', path.join(dir, 'keys'),
      '--rules', path.join(dir, 'rules')],
    { env: { ...process.env, IOU_ADMIN_TOKEN: ADMIN_TOKEN, RUST_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`iou serve did not start:\n${stderr}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening on (http:\S+)/m);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`iou serve exited (${code}):\n${stderr}`)));
  });
  return { child, url };
}

async function api(base, method, route, body, headers = {}) {
  const init = { method, headers: { 'Content-Type': 'application/json', ...headers } };
  if (method !== 'GET') {
    init.headers['Idempotency-Key'] ??= crypto.randomUUID();
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(base + route, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The admin (bootstrap), then one operator per role. */
async function makeOperators(base) {
  const boot = await api(base, 'POST', '/v1/operators/bootstrap', { name: 'admin', password: PASSWORD, roles: ['admin'] }, {
    Authorization: `Bearer ${ADMIN_TOKEN}`,
  });
  assert.equal(boot.status, 201, JSON.stringify(boot.body));
  const login = await api(base, 'POST', '/v1/operators/login', { name: 'admin', password: PASSWORD, totp: totp(boot.body.totp_secret) });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const auth = { Authorization: `Bearer ${login.body.token}` };
  // The admin's code was used by that login: the browser's login takes the next step's.
  const made = { admin: { name: 'admin', secret: boot.body.totp_secret, step: Math.floor(Date.now() / 30000) } };
  for (const role of ['support', 'analyst', 'fraud', 'auditor', 'credit_officer', 'supervisor']) {
    const name = `${role.replace('_', '-')}-1`;
    const created = await api(base, 'POST', '/v1/operators', { name, password: PASSWORD, roles: [role] }, auth);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    made[role] = { name, secret: created.body.totp_secret };
  }
  // A second fraud operator: confirming a theft needs two (four eyes).
  const second = await api(base, 'POST', '/v1/operators', { name: 'fraud-2', password: PASSWORD, roles: ['fraud'] }, auth);
  assert.equal(second.status, 201, JSON.stringify(second.body));
  made.fraud2 = { name: 'fraud-2', secret: second.body.totp_secret };
  // Two rules admins: a deploy needs two.
  for (const name of ['rules-1', 'rules-2']) {
    const created = await api(base, 'POST', '/v1/operators', { name, password: PASSWORD, roles: ['rules_admin'] }, auth);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    made[name] = { name, secret: created.body.totp_secret };
  }
  return { made, auth };
}

/** An application (ID number `id`) with a credit file the model sends to an analyst, or
 * (`good`) approves at once. */
function application(id, good) {
  return {
    applicant: {
      name: '张伟', id_number: id, mobile: '13812345678', bank_card: '6222020000000015',
      reserved_mobile: '13812345678', face_reference: 'face-ok',
      ocr: { name: '张伟', id_number: id, valid_until: '2031-01-01' },
      declared_monthly_income_fen: 600000, requested_limit_fen: 2000000,
      credit_file: {
        employment_years: good ? 10 : 1, housing: good ? 'owner' : 'rent', marital_status: 'married',
        adverse_records: false, employment: good ? 'fixed' : 'part_time', monthly_expenses_fen: 200000,
        assets_fen: good ? 30000000 : 0, debt_fen: 0, planned_term_months: 12, purchase_price_fen: 6000000,
      },
    },
    device: { device_id: `device-${id}`, lat_micro: 39904200, lon_micro: 116407400 },
  };
}

/** An application the model sends to an analyst. */
async function applicationInReview(base) {
  const answer = await api(base, 'POST', '/v1/applications', application('110105198501011007', false));
  assert.equal(answer.status, 202, `an application in review: ${JSON.stringify(answer.body)}`);
  return answer.body.application_id;
}

/** A customer with a line, a merchant, a purchase, and the customer's theft report of it:
 * an open theft case. */
async function theftCase(base, adminAuth) {
  const approved = await api(base, 'POST', '/v1/applications', application('110105199003151001', true));
  assert.equal(approved.status, 201, JSON.stringify(approved.body));
  const customer = { id: approved.body.customer_id, auth: { Authorization: `Bearer ${approved.body.token}` } };
  const merchant = await api(base, 'POST', '/v1/merchants', { name: 'Corner Shop' }, adminAuth);
  assert.equal(merchant.status, 201, JSON.stringify(merchant.body));
  const payment = await pay(base, merchant.body, customer, {}, 12999);
  assert.equal(payment.status, 'approved', JSON.stringify(payment));
  const report = await api(base, 'POST', `/v1/customers/${customer.id}/theft-reports`, { txn_ids: [payment.txn_id] }, customer.auth);
  assert.equal(report.status, 201, JSON.stringify(report.body));
  return { caseId: report.body.case_id, customerId: customer.id, merchant: merchant.body };
}

/** A purchase of `amount` fen by a signed merchant call, with a fresh payment code whose app
 * context is `risk`. */
async function pay(base, merchant, customer, risk, amount) {
  const code = await api(base, 'POST', `/v1/customers/${customer.id}/payment-codes`, { risk }, customer.auth);
  assert.equal(code.status, 201, JSON.stringify(code.body));
  const body = JSON.stringify({ payment_code: code.body.payment_code, amount_fen: amount, reference: `order-${amount}` });
  const key = crypto.randomUUID();
  const ts = String(Math.floor(Date.now() / 1000));
  const bodySha = crypto.createHash('sha256').update(body).digest('hex');
  const signature = crypto
    .createHmac('sha256', merchant.secret)
    .update(['iou-v2', 'POST', '/v1/payments', ts, key, bodySha].join('\n'))
    .digest('hex');
  const paid = await fetch(`${base}/v1/payments`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json', 'Idempotency-Key': key, 'X-Merchant-Id': merchant.merchant_id,
      'X-Timestamp': ts, 'X-Signature': signature,
    },
    body,
  });
  const payment = await paid.json();
  assert.equal(paid.status, 201, JSON.stringify(payment));
  return payment;
}

/** A purchase from an emulator over 500 yuan: the shipped rules hold it for review. */
async function heldPayment(base, merchant) {
  const approved = await api(base, 'POST', '/v1/applications', application('110105199003151028', true));
  assert.equal(approved.status, 201, JSON.stringify(approved.body));
  const customer = { id: approved.body.customer_id, auth: { Authorization: `Bearer ${approved.body.token}` } };
  const payment = await pay(base, merchant, customer, { device_id: 'emulator-1', emulator: true }, 60000);
  assert.equal(payment.status, 'held', JSON.stringify(payment));
  return payment.txn_id;
}

/** A customer asks for a temporary limit from behind a proxy: risk sends it to a credit
 * officer (202); a second request while it waits is refused (409 limit_request_pending). */
async function limitRequestInReview(base) {
  const approved = await api(base, 'POST', '/v1/applications', application('110105199003151036', true));
  assert.equal(approved.status, 201, JSON.stringify(approved.body));
  const customer = { id: approved.body.customer_id, auth: { Authorization: `Bearer ${approved.body.token}` } };
  const ask = () => api(base, 'POST', `/v1/customers/${customer.id}/temporary-limit-requests`,
    { amount_fen: 300000, days: 30, risk: { device_id: 'phone-9', proxy: true } }, customer.auth);
  const asked = await ask();
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  const again = await ask();
  assert.equal(again.status, 409, JSON.stringify(again.body));
  assert.equal(again.body.error.code, 'limit_request_pending');
  return asked.body.request_id;
}

/** A credit officer claims the request (its SLA shown), then approves it. */
async function creditOfficerClaimsAndApprovesALimitRequest(browser, base, who, requestId) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, base, who);
  await page.getByRole('link', { name: 'Queues' }).click();
  await page.getByRole('heading', { name: /Temporary-limit requests \(1\)/ }).waitFor();
  const item = page.locator(`article[data-limit-request="${requestId}"]`);
  assert.match(await item.textContent(), /SLA\s*due /);
  await item.getByRole('button', { name: 'Claim' }).click();
  await item.locator('.assignee', { hasText: '(you)' }).waitFor();
  assert.equal(await item.getByRole('button', { name: 'Claim' }).count(), 0);
  await item.getByRole('button', { name: 'Approve' }).click();
  await item.getByText(`Limit request ${requestId} approved.`).waitFor();
  await context.close();
}

/** The fraud team releases a held payment from the Queues page, its decision shown. */
async function fraudReleasesAHeldPayment(browser, base, who, txnId) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, base, who);
  await page.getByRole('link', { name: 'Queues' }).click();
  await page.getByRole('heading', { name: /Payments held for review \(1\)/ }).waitFor();
  const item = page.locator('article.item', { hasText: txnId });
  await item.waitFor();
  assert.match(await item.textContent(), /EMULATOR_PAYMENT/);
  assert.match(await item.textContent(), /model scores/);
  await item.getByRole('button', { name: 'Release payment' }).click();
  await item.getByText(/ rejected\./).waitFor();
  const cases = await page.evaluate(async () => (await fetch('/v1/cases?queue=payment_review', { headers: { 'X-IOU-Console': '1' } })).json());
  assert.equal(cases.cases.find((c) => c.txn_ids.includes(txnId)).status, 'rejected');
  await context.close();
}

/** A code for `who` the server has not seen: a code works once, so a second login of the same
 * operator uses the next 30-second step (accepted one step early), waiting if need be. */
async function freshCode(who) {
  const now = Math.floor(Date.now() / 30000);
  const step = Math.max(now, (who.step ?? -1) + 1);
  if (step > now + 1) await new Promise((resolve) => setTimeout(resolve, (step - 1) * 30000 - Date.now() + 1000));
  who.step = step;
  return totp(who.secret, step * 30000);
}

async function logIn(page, base, who) {
  await page.goto(`${base}/console/`);
  await page.getByLabel('Name').fill(who.name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Code').fill(await freshCode(who));
  await page.getByLabel('Code').press('Enter');
  await page.locator('#whoami').filter({ hasText: who.name }).waitFor();
}

/** Each role signs in and is offered exactly the pages its permissions open (analyst and
 * fraud sign in for their own flows below; a third login would wait for a new TOTP step). */
const PAGES_BY_ROLE = {
  support: ['Customer 360', 'Dashboards'],
  credit_officer: ['Queues', 'Customer 360', 'Dashboards'],
  'rules-1': ['Queues', 'Rules', 'Dashboards'],
  auditor: ['Dashboards', 'Audit'],
  admin: ['Dashboards'],
  supervisor: ['Queues', 'Dashboards'],
};

async function everyRoleSeesItsPages(browser, base, operators) {
  for (const [key, pages] of Object.entries(PAGES_BY_ROLE)) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await logIn(page, base, operators[key]);
    const links = page.getByRole('navigation', { name: 'Pages' }).getByRole('link');
    await links.first().waitFor();
    const offered = (await links.allTextContents()).map((t) => t.trim());
    assert.deepEqual(offered, pages, `${key} is offered ${offered.join(', ')}`);
    await context.close();
  }
}

const timings = [];
const pageTimes = [];
async function timed(label, action) {
  const start = performance.now();
  await action();
  timings.push(`${label}: ${Math.round(performance.now() - start)} ms`);
}

/** The page's own time for its latest navigation to `name` (app.js measures it from the
 * location change to the page shown, its API calls included; the test's clicks and waits
 * are not in it). */
async function pageTime(page, name) {
  const ms = await page.evaluate((n) => {
    const all = performance.getEntriesByName(`page:${n}`);
    return all.length ? all[all.length - 1].duration : null;
  }, name);
  pageTimes.push(`${name} ${ms === null ? '?' : Math.round(ms)} ms`);
}

async function supportIsNotOfferedWhatItMayNotDo(browser, base, who, customerId) {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Nothing the server sends may be kept by the browser: every answer is no-store.
  const cached = [];
  page.on('response', (r) => {
    if (r.headers()['cache-control'] !== 'no-store') cached.push(r.url());
  });
  await page.goto(`${base}/console/`);
  await page.getByLabel('Name').waitFor();
  // The keyboard: the skip link is the first stop and takes focus to the page, whose first
  // stop is the login form.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'name');
  await timed('login page to shell (support)', () => logIn(page, base, who));
  assert.match(await page.locator('#whoami').textContent(), /support/);
  const nav = await page.locator('#nav').textContent();
  assert.ok(nav.includes('Customer 360'), nav);
  assert.ok(!nav.includes('Queues') && !nav.includes('Audit'), `support's navigation: ${nav}`);
  // Even asked for by address, the queues page is not shown, and no resolve action is offered.
  await page.goto(`${base}/console/#/queues`);
  await page.locator('h1').filter({ hasText: 'Customer 360' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Confirm|Reject|Approve/ }).count(), 0);
  // Nor is the identity's reveal (pii.reveal), nor the Rules page (rules.read).
  await page.goto(`${base}/console/#/customers/${customerId}`);
  await page.getByRole('heading', { name: 'Line and balances' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Reveal identity' }).count(), 0);
  assert.ok(!(await page.locator('#nav').textContent()).includes('Rules'));
  // The server refuses it anyway: the console's own call, made by hand.
  const refused = await page.evaluate(async () => {
    const headers = { 'X-IOU-Console': '1', 'Content-Type': 'application/json', 'Idempotency-Key': crypto.randomUUID() };
    const answer = await fetch('/v1/cases/1/resolve', { method: 'POST', headers, body: '{"confirm":true}' });
    return { status: answer.status, body: await answer.json() };
  });
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.equal(refused.body.error.permission, 'cases.resolve');
  // Without the console header the cookie is no credential; and script cannot read it.
  const bare = await page.evaluate(async () => (await fetch('/v1/operators/me')).status);
  assert.equal(bare, 401);
  assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is HttpOnly');
  await anotherSiteCannotActWithTheCookie(context, base);
  // Logging out ends the session.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('Password').waitFor();
  const after = await page.evaluate(async () => (await fetch('/v1/operators/me', { headers: { 'X-IOU-Console': '1' } })).status);
  assert.equal(after, 401);
  assert.deepEqual(cached, [], 'answers without Cache-Control: no-store');
  await context.close();
}

/** A page of another site (localhost, while the console is on 127.0.0.1) tries to act with
 * the signed-in operator's cookie: a form posted to the API, and a script's fetch with the
 * console header. Neither gets through. */
async function anotherSiteCannotActWithTheCookie(context, base) {
  const target = `${base}/v1/customers/1/token/rotate`;
  const evil = http.createServer((request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end(`<!doctype html><form id="f" method="post" enctype="text/plain" action="${target}">
      <input name='{"x":"' value='"}'></form>`);
  });
  await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${evil.address().port}`;
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === target),
      page.evaluate(() => document.getElementById('f').submit()),
    ]);
    assert.equal(answer.status(), 401, 'a cross-site form is not an operator');
    await page.close();
    const script = await context.newPage();
    await script.goto(`${origin}/`);
    const fetched = await script.evaluate(async (url) => {
      try {
        const r = await fetch(url, { method: 'POST', credentials: 'include', headers: { 'X-IOU-Console': '1' }, body: '{}' });
        return `status ${r.status}`;
      } catch (e) {
        return `blocked: ${e.name}`;
      }
    }, target);
    assert.match(fetched, /^blocked/, 'the browser refuses the cross-site call with the header (no CORS grant)');
    await script.close();
  } finally {
    evil.close();
  }
}

async function analystApprovesAnApplication(browser, base, who, applicationId) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, base, who);
  await timed('shell to queues (analyst)', async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.locator(`[data-application="${applicationId}"]`).waitFor();
  });
  await pageTime(page, 'queues');
  const item = page.locator(`[data-application="${applicationId}"]`);
  assert.match(await item.textContent(), /score/);
  // From the keyboard: focus the button and press Enter.
  await item.getByRole('button', { name: 'Approve' }).focus();
  await page.keyboard.press('Enter');
  await item.getByText(`Application ${applicationId}: approved.`).waitFor({ timeout: 15000 }).catch(async (e) => {
    throw new Error(`${e.message}\n${await item.textContent()}`);
  });
  const record = await page.evaluate(async (id) => {
    const answer = await fetch(`/v1/applications/${id}`, { headers: { 'X-IOU-Console': '1' } });
    return answer.json();
  }, applicationId);
  assert.equal(record.status, 'approved');
  await context.close();
}

async function fraudConfirmsATheft(browser, base, who, checker, caseId) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, base, who);
  await page.getByRole('link', { name: 'Queues' }).click();
  const item = page.locator(`[data-case="${caseId}"]`);
  await item.waitFor();
  assert.match(await item.textContent(), /Evidence/);
  assert.match(await item.textContent(), /assigned tonobody/);
  // The case is claimed and noted, then found under "My cases".
  await item.getByRole('button', { name: 'Claim' }).click();
  await item.getByText(/is yours/).waitFor();
  await item.getByLabel(`Note on case ${caseId}`).fill('called the customer: the phone was stolen');
  await item.getByRole('button', { name: 'Add note' }).click();
  await item.getByText('called the customer: the phone was stolen').waitFor();
  await page.locator('#my-cases').click();
  await page.getByRole('link', { name: 'All cases' }).waitFor();
  await item.locator('.assignee').filter({ hasText: '(you) by claim' }).waitFor();
  await item.getByRole('button', { name: 'Confirm theft' }).click();
  const sent = item.getByText(/sent for a second operator's approval \(approval (\d+)\)/);
  await sent.waitFor();
  const approvalId = (await sent.textContent()).match(/approval (\d+)/)[1];
  // The maker is not offered the decision on their own proposal (and the server refuses it).
  await page.reload();
  const own = page.locator(`[data-approval="${approvalId}"]`);
  await own.waitFor();
  assert.equal(await own.getByRole('button', { name: 'Approve' }).count(), 0);
  await context.close();

  // A second fraud operator approves it: the case is confirmed.
  const second = await browser.newContext();
  const other = await second.newPage();
  await logIn(other, base, checker);
  await other.getByRole('link', { name: 'Queues' }).click();
  const proposal = other.locator(`[data-approval="${approvalId}"]`);
  await proposal.waitFor();
  assert.match(await proposal.textContent(), /fraud-1/);
  await proposal.getByRole('button', { name: 'Approve' }).click();
  await proposal.getByText(`Approval ${approvalId}: applied (HTTP 200).`).waitFor();
  const cases = await other.evaluate(async () => (await fetch('/v1/cases', { headers: { 'X-IOU-Console': '1' } })).json());
  assert.equal(cases.cases.find((c) => c.case_id === caseId).status, 'confirmed');
  await second.close();
}

async function auditorVerifiesTheChain(browser, base, who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, base, who);
  await timed('shell to audit page (auditor)', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('button', { name: 'Verify the chain' }).waitFor();
  });
  await pageTime(page, 'audit');
  assert.ok((await page.locator('tbody tr').count()) > 3, 'the log lists the logins and creations');
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await page.locator('#verdict').getByText(/^Intact: \d+ records chained\.$/).waitFor();
  await context.close();
}

/** The focusable elements met pressing Tab from the main area until focus leaves the page's
 * content (`[tag, name or label text]`). */
async function tabStops(page) {
  await page.evaluate(() => document.getElementById('main').focus());
  const stops = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || !document.getElementById('main').contains(el)) return null;
      return `${el.tagName.toLowerCase()}:${el.id || el.name || el.textContent.trim()}`;
    });
    if (stop === null) break;
    stops.push(stop);
  }
  return stops;
}

function reaches(stops, wanted) {
  for (const stop of wanted) assert.ok(stops.includes(stop), `Tab does not reach ${stop}: ${stops.join(', ')}`);
}

async function analystRevealsAnIdentity(browser, base, who, customerId) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, base, who);
  await timed('customer 360 (analyst)', async () => {
    await page.goto(`${base}/console/#/customers/${customerId}`);
    await page.getByRole('heading', { name: 'Identity in full' }).waitFor();
  });
  await pageTime(page, 'customers');
  // Customer 360: the purchase with the decision behind it, and where the customer was seen.
  const purchase = page.locator('#transactions tbody tr').first();
  await purchase.waitFor();
  const row = await purchase.textContent();
  assert.match(row, /¥129\.99/, row);
  assert.match(row, /allow|review|challenge|deny/, row);
  assert.match(row, /payment_authorization@v/, row);
  assert.ok((await page.locator('#devices tbody tr').count()) >= 1, 'devices and IPs are listed');
  // Masked everywhere until revealed.
  assert.ok(!(await page.locator('main').textContent()).includes('110105199003151001'));
  reaches(await tabStops(page), ['input:customer-id', 'button:Open', 'input:reveal-reason', 'button:Reveal identity']);
  // From the keyboard: a reason, then Enter.
  await page.getByLabel('Reason (kept in the audit log)').fill('browser test: customer called about a charge');
  await page.getByLabel('Reason (kept in the audit log)').press('Enter');
  await page.locator('#revealed').getByText('110105199003151001').waitFor();
  assert.ok((await page.locator('#revealed').textContent()).includes('6222020000000015'));
  // Leaving the page drops it; coming back shows it masked again.
  await page.getByRole('link', { name: 'Queues' }).click();
  await page.locator('h1').filter({ hasText: 'Queues' }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Identity in full' }).waitFor();
  assert.ok(!(await page.locator('main').textContent()).includes('110105199003151001'));
  await context.close();
}

async function liveVersion(page, graph) {
  const cell = page.locator('#main td').filter({ hasText: new RegExp(`^${graph}@v`) });
  await cell.first().waitFor();
  return (await cell.first().textContent()).trim();
}

async function rulesAdminsDeployWithFourEyes(browser, base, maker, checker) {
  const original = JSON.parse(fs.readFileSync(path.join(RULES, 'repayment.json'), 'utf8'));
  const bumped = { ...original, metadata: { ...original.metadata, version: original.metadata.version + 1 } };
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, base, maker);
  await timed('shell to rules (rules admin)', async () => {
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.getByRole('button', { name: 'Propose deploy' }).waitFor();
  });
  await pageTime(page, 'rules');
  const before = await liveVersion(page, 'repayment');
  assert.match(before, new RegExp(`^repayment@v${original.metadata.version}#`));
  reaches(await tabStops(page), ['input:deploy-name', 'textarea:deploy-jdm', 'button:Propose deploy', 'button:Roll back the rules...']);
  // A graph that is not JSON is refused on the page, before any call.
  await page.getByLabel('Graph file').fill('repayment.json');
  await page.getByLabel("JDM graph (the file's JSON)").fill('{not json');
  await page.getByRole('button', { name: 'Propose deploy' }).click();
  await page.locator('#deploy-result').getByText(/The JDM is not JSON/).waitFor();
  await page.getByLabel("JDM graph (the file's JSON)").fill(JSON.stringify(bumped));
  await page.getByRole('button', { name: 'Propose deploy' }).focus();
  await page.keyboard.press('Enter');
  const proposed = page.locator('#deploy-result').getByText(/Deploy proposed: approval (\d+)/);
  await proposed.waitFor();
  const approvalId = (await proposed.textContent()).match(/approval (\d+)/)[1];
  // Proposed is not deployed.
  await page.reload();
  assert.equal(await liveVersion(page, 'repayment'), before);
  await context.close();

  const second = await browser.newContext();
  const other = await second.newPage();
  await logIn(other, base, checker);
  await other.getByRole('link', { name: 'Queues' }).click();
  const proposal = other.locator(`[data-approval="${approvalId}"]`);
  await proposal.waitFor();
  assert.match(await proposal.textContent(), /rules\.deploy/);
  assert.match(await proposal.textContent(), /rules-1/);
  await proposal.getByRole('button', { name: 'Approve' }).click();
  await proposal.getByText(`Approval ${approvalId}: applied (HTTP 200).`).waitFor();
  await other.getByRole('link', { name: 'Rules' }).click();
  const after = await liveVersion(other, 'repayment');
  assert.match(after, new RegExp(`^repayment@v${original.metadata.version + 1}#`));
  // The emergency rollback: a confirm step (Cancel changes nothing), then the old set again.
  await other.getByRole('button', { name: 'Roll back the rules...' }).click();
  await other.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await liveVersion(other, 'repayment'), after);
  await other.getByRole('button', { name: 'Roll back the rules...' }).click();
  await other.getByRole('button', { name: 'Yes, roll back now' }).click();
  await other.locator('#rollback-result').getByText('Rolled back.').waitFor();
  await other.locator('#main td').filter({ hasText: before }).first().waitFor();
  await second.close();
}

async function dashboardsShowHealthAndQueues(browser, base, who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, base, who);
  await timed('shell to dashboards (fraud)', async () => {
    await page.getByRole('link', { name: 'Dashboards' }).click();
    await page.getByRole('heading', { name: 'Engine health' }).waitFor();
  });
  await pageTime(page, 'dashboards');
  const text = await page.locator('main').textContent();
  assert.match(text, /Ready: the engine runs/);
  assert.match(text, /approved/, 'authorizations by outcome');
  assert.match(text, /cases open/);
  assert.match(text, /\(needs applications\.read\)/, 'a count the role may not read says so');
  // Approvals and friction from the counters; the portfolio's buckets, roll rates, vintages.
  assert.match(text, /approval rate/);
  assert.match(text, /friction/);
  assert.ok((await page.locator('#buckets tbody tr').count()) >= 1, 'delinquency by bucket');
  await page.locator('#roll-rates').waitFor();
  assert.match(text, /Roll rates between month ends/);
  assert.match(text, /Vintages/);
  reaches(await tabStops(page), ['button:Refresh']);
  // Fraud reads the rules but may neither deploy nor roll back: neither is offered.
  await page.getByRole('link', { name: 'Rules' }).click();
  await page.getByRole('heading', { name: /Rule set in force/ }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Propose deploy|Roll back/ }).count(), 0);
  // But fraud backtests a candidate: every payment over 1,000 yuan denied. The theft confirmed
  // earlier is a label, so the report counts fraud the candidate would have stopped.
  const graph = JSON.parse(fs.readFileSync(path.join(RULES, 'payment_authorization.json'), 'utf8'));
  for (const node of graph.nodes) {
    for (const rule of (node.content && node.content.rules) || []) {
      if (rule._id === 'r05') Object.assign(rule, { c05: '', c06: '> 1000', c23: '' });
    }
  }
  await page.getByLabel('Candidate file name').fill('payment_authorization.json');
  await page.getByLabel('Candidate (JDM JSON)').fill(JSON.stringify(graph));
  await timed('backtest (fraud)', async () => {
    await page.getByRole('button', { name: 'Run backtest' }).click();
    await page.locator('#backtest-summary').waitFor();
  });
  const report = await page.locator('#backtest-result').textContent();
  assert.match(report, /decisions replayed/);
  assert.match(report, /Labelled by analysts: [1-9]\d* transactions/, report);
  await context.close();
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iou-browser-'));
  const { child, url } = await startServer(dir);
  let browser;
  try {
    const { made: operators, auth: adminAuth } = await makeOperators(url);
    const applicationId = await applicationInReview(url);
    const { caseId, customerId, merchant } = await theftCase(url, adminAuth);
    const heldTxn = await heldPayment(url, merchant);
    const limitRequestId = await limitRequestInReview(url);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    await everyRoleSeesItsPages(browser, url, operators);
    console.log(`ok: every role signs in and is offered exactly its pages (${Object.keys(PAGES_BY_ROLE).join(', ')})`);
    await supportIsNotOfferedWhatItMayNotDo(browser, url, operators.support, customerId);
    console.log('ok: support is not offered a forbidden action, and the server refuses it');
    await analystApprovesAnApplication(browser, url, operators.analyst, applicationId);
    console.log('ok: an analyst approves an application in review');
    await fraudConfirmsATheft(browser, url, operators.fraud, operators.fraud2, caseId);
    console.log('ok: one fraud operator claims and notes a theft case, finds it under My cases and confirms it; a second approves it (four eyes)');
    await fraudReleasesAHeldPayment(browser, url, operators.fraud, heldTxn);
    console.log('ok: the fraud team sees a held payment with its decision and releases it');
    await creditOfficerClaimsAndApprovesALimitRequest(browser, url, operators.credit_officer, limitRequestId);
    console.log('ok: a credit officer claims a temporary-limit request (its SLA shown) and approves it; a second request while it waited was refused');
    await auditorVerifiesTheChain(browser, url, operators.auditor);
    console.log('ok: an auditor verifies the audit chain');
    await analystRevealsAnIdentity(browser, url, operators.analyst, customerId);
    console.log('ok: an analyst reveals an identity with a reason, gone once the page is left');
    await rulesAdminsDeployWithFourEyes(browser, url, operators['rules-1'], operators['rules-2']);
    console.log('ok: a rules admin proposes a deploy, a second approves it, the version changes; the rollback puts it back');
    await dashboardsShowHealthAndQueues(browser, url, operators.fraud);
    console.log('ok: the dashboards show health, figures and queue counts; fraud is offered no deploy or rollback, and backtests a candidate with labelled outcomes');
    console.log(`timings (click to content, the test's own waiting included): ${timings.join('; ')}`);
    console.log(`pages' own times (navigation to shown, API calls included): ${pageTimes.join('; ')}`);
  } finally {
    if (browser) await browser.close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
