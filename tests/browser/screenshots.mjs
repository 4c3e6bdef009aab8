// The README's screenshots of the operator console (docs/screenshots/*.png, 1280x800): starts
// the demo small (`iou simulate --serve --users 1000 --days 30 --theft-reports 800`: more
// mistaken theft reports than the default, so the queue has cases to show; a fresh data
// directory in a temp dir), makes operators through the API with the bootstrap token (an admin, then an
// operator with the fraud and analyst roles and an auditor), logs them in to the console in
// Debian's Chromium and saves the Queues, Customer 360 (identity masked, as every operator
// first sees it), Dashboards and Audit pages.
//
// Usage (from tests/browser, after `npm ci` and `cargo build -p iou`):
//   node screenshots.mjs            (IOU_BIN, CHROMIUM as for console.test.mjs)
// The simulation is seeded, so the figures repeat; ages and times are the day's. Names are
// Chinese: without a CJK font (Debian: fonts-wqy-microhei) they show as boxes.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { totp } from './totp.mjs';

const IOU = process.env.IOU_BIN || path.resolve('../../target/debug/iou');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const TOKEN = `screens-${crypto.randomBytes(8).toString('hex')}`;
const PASSWORD = 'screenshot-password-0123';

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The demo, until it prints that it is ready. */
async function startDemo(dir) {
  const port = await freePort();
  const args = ['simulate', '--serve', '--users', '1000', '--days', '30', '--theft-reports', '800', '--data', path.join(dir, 'demo'), '--listen', `127.0.0.1:${port}`];
  const child = spawn(IOU, args, { env: { ...process.env, IOU_ADMIN_TOKEN: TOKEN, RUST_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the demo was not ready in 10 minutes:\n${stderr}`)), 600000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('demo ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`iou simulate exited (${code}):\n${stderr}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

async function api(base, method, route, body, headers = {}) {
  const init = { method, headers: { 'Content-Type': 'application/json', ...headers } };
  if (method !== 'GET') {
    init.headers['Idempotency-Key'] = crypto.randomUUID();
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(base + route, init);
  const parsed = await response.json();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

async function operators(base) {
  const boot = await api(base, 'POST', '/v1/operators/bootstrap', { name: 'admin', password: PASSWORD, roles: ['admin'] }, {
    Authorization: `Bearer ${TOKEN}`,
  });
  const login = await api(base, 'POST', '/v1/operators/login', { name: 'admin', password: PASSWORD, totp: totp(boot.totp_secret) });
  const auth = { Authorization: `Bearer ${login.token}` };
  const made = {};
  for (const [name, roles] of [['li.na', ['fraud', 'analyst']], ['auditor', ['auditor']]]) {
    const created = await api(base, 'POST', '/v1/operators', { name, password: PASSWORD, roles }, auth);
    made[name] = { name, secret: created.totp_secret };
  }
  return made;
}

async function logIn(browser, base, who) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${base}/console/`);
  await page.getByLabel('Name').fill(who.name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Code').fill(totp(who.secret));
  await page.getByLabel('Code').press('Enter');
  await page.locator('#whoami').filter({ hasText: who.name }).waitFor();
  return { context, page };
}

async function shot(page, name) {
  // No focus ring or status toast in the picture.
  await page.evaluate(() => {
    if (document.activeElement) document.activeElement.blur();
    window.scrollTo(0, 0);
  });
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`${file}: ${fs.statSync(file).size} bytes`);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iou-screens-'));
  const { child, base } = await startDemo(dir);
  let browser;
  try {
    const made = await operators(base);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const { context, page } = await logIn(browser, base, made['li.na']);
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('heading', { name: /Theft reports/ }).waitFor();
    await shot(page, 'queues');
    // A customer with a case: the one of the newest open case, else the newest case.
    const { cases } = await page.evaluate(async () => (await fetch('/v1/cases', { headers: { 'X-IOU-Console': '1' } })).json());
    const chosen = cases.find((c) => c.status === 'open') || cases[0];
    if (!chosen) throw new Error('the demo left no case to show a customer of');
    await page.goto(`${base}/console/#/customers/${chosen.customer_id}`);
    await page.getByRole('heading', { name: 'Identity in full' }).waitFor();
    await shot(page, 'customer-360');
    await page.getByRole('link', { name: 'Dashboards' }).click();
    await page.getByRole('heading', { name: 'Engine health' }).waitFor();
    await shot(page, 'dashboards');
    await context.close();
    const auditor = await logIn(browser, base, made.auditor);
    await auditor.page.getByRole('link', { name: 'Audit' }).click();
    await auditor.page.getByRole('button', { name: 'Verify the chain' }).click();
    await auditor.page.locator('#verdict').getByText(/^Intact/).waitFor({ timeout: 120000 });
    await shot(auditor.page, 'audit');
    await auditor.context.close();
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
