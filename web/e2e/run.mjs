// StatusHawk dashboard end-to-end test: real Chromium (Debian's), real api, real runner.
//
//   E2E_BASE_URL   the api serving web/dist (e2e/stack.sh starts one and sets it)
//   E2E_RUNNER     0 when no runner is running: the steps that need checks are skipped
//   E2E_OUT        output folder (screenshots, report.json); default web/e2e-output
//   CHROMIUM       browser binary (default /usr/bin/chromium)
//
// Steps: sign up, log in, add a monitor of a local HTTP target, see it turn UP, open its
// detail page and see the chart drawn, pause it, settings with the Telegram link, log out,
// plus error display, 401 handling, bundle size and time to first render of the overview.
// Prints `N passed, N failed, N skipped` last; exits 1 when a step failed.
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initialBundle } from '../scripts/bundle-size.mjs';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BASE = (process.env.E2E_BASE_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const RUNNER = process.env.E2E_RUNNER !== '0';
const OUT = path.resolve(process.env.E2E_OUT || path.join(WEB, 'e2e-output'));
const SHOTS = path.join(OUT, 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const FIRST_RENDER_LIMIT_MS = 1000;
const BUNDLE_LIMIT_KIB = 250;

fs.rmSync(SHOTS, { recursive: true, force: true });
fs.mkdirSync(SHOTS, { recursive: true });

// ---------------------------------------------------------------------------------------
// A tiny step runner: each step passes, fails (with the error) or is skipped (with why).
const results = [];
class Skip extends Error {}
const skip = (why) => {
  throw new Skip(why);
};
async function step(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    results.push({ name, status: 'passed', ms: Date.now() - t0, note: note || '' });
    console.log(`ok      ${name}${note ? ` — ${note}` : ''} (${Date.now() - t0} ms)`);
  } catch (e) {
    if (e instanceof Skip) {
      results.push({ name, status: 'skipped', note: e.message });
      console.log(`skip    ${name} — ${e.message}`);
    } else {
      results.push({ name, status: 'failed', ms: Date.now() - t0, note: String(e?.stack || e) });
      console.log(`FAILED  ${name}\n        ${String(e?.message || e).split('\n').join('\n        ')}`);
      await shot(`FAILED-${name.replace(/\W+/g, '-')}`).catch(() => {});
    }
  }
}

// ---------------------------------------------------------------------------------------
// The local target the runner checks: /health answers `targetStatus` (200 unless a step
// makes it fail) after a little jitter.
let targetStatus = 200;
const target = http.createServer((req, res) => {
  const delay = 5 + Math.floor(Math.random() * 25);
  setTimeout(() => {
    res.writeHead(req.url.startsWith('/health') ? targetStatus : 404, { 'Content-Type': 'text/plain' });
    res.end('ok\n');
  }, delay);
});
await new Promise((r) => target.listen(0, '127.0.0.1', r));
const TARGET_URL = `http://127.0.0.1:${target.address().port}/health`;

// ---------------------------------------------------------------------------------------
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sh-e2e-chromium-'));
const context = await chromium.launchPersistentContext(userDir, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: DESKTOP,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
  ],
});
context.setDefaultTimeout(15_000);
const page = context.pages()[0] || (await context.newPage());
const consoleErrors = [];
page.on('pageerror', (e) => consoleErrors.push(String(e)));
page.on('console', (m) => {
  if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) consoleErrors.push(m.text());
});

async function shot(name, viewport) {
  if (viewport) await page.setViewportSize(viewport);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(250);
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
async function shotBoth(name) {
  await shot(`${name}-desktop`, DESKTOP);
  await shot(`${name}-phone`, PHONE);
  await page.setViewportSize(DESKTOP);
}
const api = async (p, opts = {}) => {
  const token = await page.evaluate(() => localStorage.getItem('sh.token'));
  const r = await fetch(`${BASE}/api/v1${p}`, {
    method: opts.method || 'GET',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Token ${token}` } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  return { status: r.status, body: await r.json().catch(() => null) };
};

const stamp = Date.now().toString(36);
const email = `e2e-${stamp}@example.com`;
const password = 'correct horse battery';
let monitorsApi = false;
let monitorId = null;
const measured = {};
let statsApi = false;

console.log(`StatusHawk dashboard e2e against ${BASE} (runner: ${RUNNER ? 'yes' : 'no'}); target ${TARGET_URL}`);

await step('production bundle: initial route JS < 250 KiB gzip', async () => {
  const b = initialBundle(path.join(WEB, 'dist'));
  measured.bundle = b;
  if (b.jsGzip / 1024 >= BUNDLE_LIMIT_KIB) throw new Error(`initial JS is ${(b.jsGzip / 1024).toFixed(1)} KiB gzip`);
  return `initial JS ${(b.jsGzip / 1024).toFixed(1)} KiB gzip (${b.files.filter((f) => f.endsWith('.js')).length} files), CSS ${(b.cssGzip / 1024).toFixed(1)} KiB gzip`;
});

await step('the api serves the dashboard (index.html for client routes)', async () => {
  for (const p of ['/', '/monitors/123', '/settings']) {
    const r = await fetch(BASE + p);
    const text = await r.text();
    if (r.status !== 200 || !text.includes('<div id="root">')) throw new Error(`GET ${p}: ${r.status}`);
  }
});

await step('sign up (with an error shown next to its field first)', async () => {
  await page.goto(`${BASE}/signup`);
  await page.fill('input[name=first_name]', 'Eve');
  await page.fill('input[name=last_name]', 'Tester');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.fill('input[name=password2]', password + 'x');
  await page.click('button[type=submit]');
  // The API refuses mismatching passwords; its message appears under a field.
  await page.locator('[data-field-error]').first().waitFor();
  await shotBoth('01-signup-error');
  await page.fill('input[name=password2]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/login\?signed_up=1/);
  await shotBoth('02-login');
});

await step('log in (wrong password shown next to the field, then the right one)', async () => {
  await page.fill('input[name=password]', 'not the password');
  await page.click('button[type=submit]');
  const err = page.locator('[data-field-error]');
  await err.waitFor();
  const text = await err.innerText();
  if (!/unable to log in/i.test(text)) throw new Error(`unexpected error text: ${text}`);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=overview]');
  await page.waitForSelector('[data-testid=user-name]:has-text("Eve Tester")');
  await shotBoth('03-overview-empty');
});

await step('monitors API available', async () => {
  const r = await api('/monitors/');
  if (r.status === 404) {
    skip('GET /api/v1/monitors/ answers 404 on this build (monitors API not in it yet)');
  }
  if (r.status !== 200) throw new Error(`GET /monitors/ -> ${r.status}`);
  monitorsApi = true;
  const d = await api('/monitors/dashboard_stats/');
  statsApi = d.status === 200;
  if (!statsApi) return `but GET /monitors/dashboard_stats/ answers ${d.status}: the statistics steps will be skipped`;
});

const needStats = () => {
  if (!statsApi) skip('needs the statistics API (dashboard_stats, stats, history), which this build does not serve');
};

await step('overview shows the counts', async () => {
  needStats();
  await page.goto(`${BASE}/`);
  await page.waitForSelector('[data-testid=overview][data-ready=true]');
  const up = await page.locator('[data-testid=count-up]').innerText();
  if (up !== '0') throw new Error(`a new account shows ${up} monitors up`);
});

const needMonitors = () => {
  if (!monitorsApi) skip('needs the monitors API, which this build does not serve');
};
const needRunner = () => {
  needMonitors();
  if (!RUNNER) skip('needs statushawk-runner, which is not built/running (E2E_RUNNER=0)');
};

await step('add a monitor (inline API error first, then valid)', async () => {
  needMonitors();
  await page.goto(`${BASE}/monitors`);
  await page.click('[data-testid=add-monitor]');
  const form = page.locator('[data-testid=monitor-form]');
  await form.waitFor();
  await form.locator('input[name=name]').fill('Local target');
  await form.locator('input[name=url]').fill('not a url');
  await form.locator('button[type=submit]').click();
  await form.locator('[data-field-error]').first().waitFor();
  await shotBoth('04-monitor-form-error');
  await form.locator('input[name=url]').fill(TARGET_URL);
  await form.locator('select[name=interval_preset]').selectOption('10');
  await form.locator('button[type=submit]').click();
  await form.waitFor({ state: 'detached' });
  const row = page.locator('[data-testid=monitors-table] tr', { hasText: 'Local target' });
  await row.waitFor();
  monitorId = Number(await row.getAttribute('data-monitor-id'));
  if (!monitorId) throw new Error('no monitor id on the new row');
  return `monitor ${monitorId}`;
});

await step('the monitor turns UP (runner checks the local target)', async () => {
  needRunner();
  const badge = page.locator(`[data-testid=monitors-table] tr[data-monitor-id="${monitorId}"] [data-status]`);
  const t0 = Date.now();
  await page.waitForFunction(
    (id) => document.querySelector(`[data-testid=monitors-table] tr[data-monitor-id="${id}"] [data-status]`)?.getAttribute('data-status') === 'UP',
    monitorId,
    { timeout: 45_000, polling: 250 },
  );
  await badge.waitFor();
  // Let a few more checks come in so the sparkline and the chart have a line to draw.
  await page.waitForTimeout(2_000);
  await page.waitForSelector(`tr[data-monitor-id="${monitorId}"] [data-testid=sparkline] path[d*="L"]`, { timeout: 40_000 });
  await shotBoth('05-monitors');
  return `UP after ${Date.now() - t0} ms in the table`;
});

await step('monitor detail: status, uptime and the response-time chart drawn', async () => {
  needRunner();
  needStats();
  await page.click(`[data-testid=monitors-table] tr[data-monitor-id="${monitorId}"] a`);
  await page.waitForURL(new RegExp(`/monitors/${monitorId}$`));
  await page.waitForSelector('[data-testid=detail-status] [data-status=UP]');
  // Wait until at least two checks exist, so the area has a line (one check is one dot).
  await page.waitForFunction(
    () => {
      const p = document.querySelector('[data-testid=response-chart] .recharts-area-curve');
      return p && (p.getAttribute('d') || '').split(/[LC]/).length >= 2;
    },
    null,
    { timeout: 40_000, polling: 500 },
  );
  const uptime = await page.locator('[data-testid=uptime-24h]').innerText();
  if (!/%/.test(uptime)) throw new Error(`uptime 24h shows "${uptime}"`);
  await page.waitForSelector('[data-testid=heatmap]');
  await page.waitForSelector('[data-testid=history] tbody tr');
  await shotBoth('06-monitor-detail');
  return `uptime 24h ${uptime}`;
});

await step('a failing target: DOWN, ongoing incident, reason in the history and on the overview', async () => {
  needRunner();
  needStats();
  targetStatus = 503;
  if (!page.url().includes(`/monitors/${monitorId}`)) await page.goto(`${BASE}/monitors/${monitorId}`);
  const t0 = Date.now();
  await page.waitForSelector('[data-testid=detail-status] [data-status=DOWN]', { timeout: 60_000 });
  const downAfter = Date.now() - t0;
  await page.waitForSelector('[data-testid=history] td:has-text("status 503")', { timeout: 30_000 });
  await page.waitForSelector('[data-testid=incidents] :text("ongoing")', { timeout: 30_000 });
  await shotBoth('06b-monitor-detail-down');
  await page.goto(`${BASE}/`);
  await page.waitForSelector('[data-testid=open-incidents] :text("Local target")');
  await page.waitForSelector('[data-testid=recent-failures] :text("503 Error")');
  await page.waitForSelector('[data-testid=count-down]:text("1")');
  await shotBoth('06c-overview-down');
  targetStatus = 200;
  await page.goto(`${BASE}/monitors/${monitorId}`);
  await page.waitForSelector('[data-testid=detail-status] [data-status=UP]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=incidents] :text("resolved")', { timeout: 30_000 });
  await page.waitForSelector('[data-testid=response-chart] .recharts-reference-area', { timeout: 30_000 });
  return `DOWN shown ${downAfter} ms after the target failed; UP again, incident resolved and drawn as a band`;
});

await step('pause the monitor', async () => {
  needMonitors();
  if (!page.url().includes(`/monitors/${monitorId}`)) await page.goto(`${BASE}/monitors/${monitorId}`);
  await page.click('[data-testid=pause]');
  await page.waitForSelector('[data-testid=detail-status] [data-status=PAUSED]');
  await page.waitForSelector('[data-testid=resume]');
  const r = await api(`/monitors/${monitorId}/`);
  if (r.body?.is_active !== false || r.body?.status !== 'PAUSED') throw new Error(`API says ${JSON.stringify(r.body)}`);
  await shot('07-paused-desktop', DESKTOP);
});

await step('overview with data and time to first render < 1 s', async () => {
  needStats();
  const samples = [];
  let fcp = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(`${BASE}/`, { waitUntil: 'commit' });
    await page.waitForSelector('[data-testid=overview][data-ready=true]');
    const t = await page.evaluate(() => {
      const m = performance.getEntriesByName('sh:overview-data')[0];
      const p = performance.getEntriesByName('first-contentful-paint')[0];
      return { data: m ? m.startTime : null, fcp: p ? p.startTime : null };
    });
    samples.push(t.data);
    fcp.push(t.fcp);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  measured.firstRender = { samples_ms: samples.map((x) => Math.round(x)), median_ms: Math.round(median), first_ms: Math.round(samples[0]), fcp_ms: fcp.map((x) => (x ? Math.round(x) : null)) };
  if (monitorsApi) {
    const total = await page.locator('[data-testid=count-paused]').innerText();
    if (total !== '1') throw new Error(`overview shows ${total} paused, expected 1`);
  }
  await shotBoth('08-overview');
  await page.evaluate(() => localStorage.setItem('sh.theme', 'dark'));
  await page.reload();
  await page.waitForSelector('[data-testid=overview][data-ready=true]');
  await shotBoth('08-overview-dark');
  await page.evaluate(() => localStorage.setItem('sh.theme', 'light'));
  if (samples[0] >= FIRST_RENDER_LIMIT_MS || median >= FIRST_RENDER_LIMIT_MS) throw new Error(`first render ${JSON.stringify(measured.firstRender)}`);
  return `overview with data: first (cold) load ${Math.round(samples[0])} ms, median of 5 ${Math.round(median)} ms`;
});

await step('leaderboard page', async () => {
  needMonitors();
  await page.goto(`${BASE}/leaderboard`);
  await page.waitForSelector('[data-testid=board-fastest]');
  const r = await api('/monitors/leaderboard/?period=24h&by=latency');
  if (r.status === 404) skip('GET /monitors/leaderboard/ answers 404 on this build');
  await page.waitForTimeout(500);
  await shotBoth('09-leaderboard');
});

await step('detail page in dark theme', async () => {
  needRunner();
  needStats();
  await page.evaluate(() => localStorage.setItem('sh.theme', 'dark'));
  await page.goto(`${BASE}/monitors/${monitorId}`);
  await page.waitForSelector('[data-testid=response-chart] .recharts-area-curve');
  await shotBoth('10-monitor-detail-dark');
  await page.evaluate(() => localStorage.setItem('sh.theme', 'light'));
});

await step('settings shows the Telegram magic link', async () => {
  await page.goto(`${BASE}/settings`);
  await page.waitForSelector('[data-testid=settings-page]');
  const r = await api('/notifications/telegram-link/');
  if (r.status === 404) skip('GET /notifications/telegram-link/ answers 404 on this build (not in it yet)');
  const link = page.locator('[data-testid=telegram-link]');
  await link.waitFor();
  const href = await link.getAttribute('href');
  const bot = process.env.TELEGRAM_BOT_NAME || '';
  if (!href || !href.startsWith(`https://t.me/${bot}`) || !/\?start=[A-Za-z0-9_-]{20,}$/.test(href)) throw new Error(`link is ${href}`);
  // Template editor: live preview follows the text.
  await page.fill('[data-testid=template-input]', 'ALERT {{monitor}} is {{status}} ({{reason}})');
  const preview = await page.locator('[data-testid=template-preview]').innerText();
  if (!/^ALERT Shop is DOWN \(status 503\)$/.test(preview.trim())) throw new Error(`preview shows "${preview}"`);
  await shotBoth('11-settings');
  return href.replace(/start=.*/, 'start=…');
});

await step('alert templates are saved per kind (the other kinds keep their default)', async () => {
  const c = await api('/notifications/channels/', { method: 'POST', body: { provider: 'console', name: 'E2E console', config: {} } });
  if (c.status === 404) skip('POST /notifications/channels/ answers 404 on this build (not in it yet)');
  if (c.status !== 201) throw new Error(`creating a console channel: ${c.status} ${JSON.stringify(c.body)}`);
  await page.goto(`${BASE}/settings`);
  await page.waitForSelector('[data-testid=settings-page]');
  await page.locator('[data-testid=template-scope]', { hasText: 'E2E console' }).waitFor();
  const down = 'DOWN {{monitor}}: {{reason}} since {{since}}';
  await page.fill('[data-testid=template-input]', down);
  await page.getByRole('button', { name: 'Save template' }).click();
  await page.locator('[data-testid=template-scope]', { hasText: 'sends this text for down alerts' }).waitFor();
  const stored = (await api(`/notifications/channels/${c.body.id}/`)).body?.config?.template;
  if (JSON.stringify(stored) !== JSON.stringify({ down })) throw new Error(`stored template is ${JSON.stringify(stored)}`);
  // Another kind still shows (and sends) its default.
  await page.getByRole('radiogroup', { name: 'Alert kind' }).getByRole('radio', { name: 'up', exact: true }).click();
  await page
    .waitForFunction(() => document.querySelector('[data-testid=template-input]')?.value.startsWith('✅ UP'), null, { timeout: 5000 })
    .catch(async () => {
      throw new Error(`the up template shows "${await page.inputValue('[data-testid=template-input]')}"`);
    });
  await shotBoth('11b-settings-template');
  return `stored ${JSON.stringify(stored)}`;
});

await step('log out', async () => {
  await page.goto(`${BASE}/settings`);
  await page.click('[data-testid=logout]');
  await page.waitForURL(/\/login/);
  await page.goto(`${BASE}/monitors`);
  await page.waitForURL(/\/login/);
  const token = await page.evaluate(() => localStorage.getItem('sh.token'));
  if (token) throw new Error('token still stored after logout');
  await shot('12-logged-out-desktop', DESKTOP);
});

await step('a 401 anywhere sends the user to log in', async () => {
  await page.evaluate(() => localStorage.setItem('sh.token', '0'.repeat(40)));
  await page.goto(`${BASE}/settings`);
  await page.waitForURL(/\/login\?next=%2Fsettings&expired=1/);
  const token = await page.evaluate(() => localStorage.getItem('sh.token'));
  if (token) throw new Error('revoked token kept');
});

await step('no JavaScript errors in the console', async () => {
  // 401s are expected (logout / revoked-token step); anything else is a bug.
  const real = consoleErrors.filter((e) => !/401|Unauthorized/.test(e));
  if (real.length) throw new Error(real.slice(0, 5).join('\n'));
});

await context.close();
fs.rmSync(userDir, { recursive: true, force: true });
target.close();

const count = (s) => results.filter((r) => r.status === s).length;
fs.writeFileSync(path.join(OUT, 'report.json'), JSON.stringify({ base: BASE, runner: RUNNER, measured, results }, null, 2));
console.log(`\nscreenshots: ${SHOTS}`);
if (measured.bundle) console.log(`bundle: initial JS ${(measured.bundle.jsGzip / 1024).toFixed(1)} KiB gzip, CSS ${(measured.bundle.cssGzip / 1024).toFixed(1)} KiB gzip`);
if (measured.firstRender) console.log(`first render of the overview with data: ${JSON.stringify(measured.firstRender)}`);
console.log(`e2e: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
process.exit(count('failed') ? 1 : 0);
