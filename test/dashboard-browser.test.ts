// The dashboard in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core), read
// the way a person reads it: the figures shown for a demo campaign equal the store's own counts, a push
// stored while the page is open shows up without a reload, an outId holding HTML shows as text and runs
// nothing, no request leaves 127.0.0.1, zh-CN and English both render. Saves docs/dashboard.png.
// With CI=true a missing browser FAILS these tests; elsewhere they are skipped with a notice.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoSummary } from '../src/cli/commands/demo.js';
import { buildDashboardApp } from '../src/dashboard/build-app.js';
import { serveDashboard, type RunningDashboard } from '../src/dashboard/handler.js';
import { createPushReceiver, nodeHandler, type PushReceiver } from '../src/push/index.js';
import { openEventStore, type EventStore, type StoredEvent } from '../src/push/store.js';
import { captureIO, tempDir } from './cli-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SECRET = 'browser-push-secret-0123456789';
const XSS = '<img src=x onerror="window.__xss=1">';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env['CI'] !== 'true') console.warn(`[dashboard browser tests] ${CHROMIUM} missing: skipped (with CI=true they fail)`);

const en = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const zh = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 });

describe.skipIf(!haveBrowser && process.env['CI'] !== 'true')('dashboard in Chromium', () => {
  const tmp = tempDir('zhichi-dash-browser-');
  let demo: DemoSummary;
  let dash: RunningDashboard;
  let browser: Browser;
  let receiver: PushReceiver;
  let pushServer: Server;
  let pushUrl: string;
  let store: EventStore;
  /** Every URL any page asked for, and those that were not on the dashboard's own address. */
  const requested: string[] = [];
  const offMachine: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); CI=true requires it`);
    const assets = join(tmp.dir, 'assets');
    await buildDashboardApp(assets);
    demo = await runDemo({ contacts: 150, bad: 4, dir: join(tmp.dir, 'demo'), seed: 3 }, captureIO(), true);
    expect(demo.consistent).toBe(true);
    // A receiver on the same store, to store pushes while the page is open.
    receiver = await createPushReceiver({ secret: SECRET, store: demo.database, path: '/push', env: {} });
    pushServer = createServer(nodeHandler(receiver));
    await new Promise<void>((r) => pushServer.listen(0, '127.0.0.1', () => r()));
    pushUrl = `http://127.0.0.1:${(pushServer.address() as AddressInfo).port}/push?secret=${SECRET}`;
    dash = await serveDashboard({
      store: demo.database, assetsDir: assets, pollMs: 100,
      taskInfo: async (id) => (id === demo.taskId ? { name: 'demo task', contacts: demo.contacts } : null),
    });
    store = await openEventStore(demo.database);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await dash?.close();
    await store?.close();
    if (pushServer) await new Promise<void>((r) => pushServer.close(() => r()));
    await receiver?.close();
    tmp.cleanup();
  });

  async function open(locale: string, hash = ''): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Berlin' });
    const origin = new URL(dash.url).origin;
    // Every request goes through here: the dashboard's own origin continues, anything else is refused and noted.
    await ctx.route('**/*', async (route) => {
      const url = route.request().url();
      requested.push(url);
      if (url.startsWith(`${origin}/`)) await route.continue();
      else {
        offMachine.push(url);
        await route.abort();
      }
    });
    const page = await ctx.newPage();
    await page.goto(`${dash.url}${hash}`);
    return { ctx, page };
  }

  /** The store's own figures for the demo task, counted from its rows (not through the read model). */
  async function storeFigures() {
    const rows: StoredEvent[] = await store.query({ taskId: demo.taskId, limit: 100_000 });
    const outcomes = new Map<string, number>();
    for (const e of rows) {
      const name = e.callResult === null ? 'NONE' : (['ANSWERED', 'NO_ANSWER', 'BUSY', 'POWER_OFF', 'OUT_OF_SERVICE', 'REFUSED', 'VACANT_NUMBER', 'CAN_NOT_CONNECT', '', 'SYSTEM_ERROR'][e.callResult] ?? `UNKNOWN_${e.callResult}`);
      outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
    }
    const answered = rows.filter((e) => e.callResult === 0);
    return {
      count: await store.count({ taskId: demo.taskId }),
      answered: answered.length,
      contactsCalled: new Set(rows.map((e) => e.outId)).size,
      contactsAnswered: new Set(answered.map((e) => e.outId)).size,
      redials: rows.filter((e) => (e.attempt ?? 1) > 1).length,
      outcomes,
    };
  }

  const stat = (page: Page, field: string) => page.locator(`[data-testid=progress] [data-field=${field}] .stat-value`);

  it('shows the store\'s counts for the demo campaign (English), and saves the screenshot', async () => {
    const { ctx, page } = await open('en-US');
    const f = await storeFigures();
    expect(f.count).toBe(demo.calls);
    const row = page.locator(`[data-testid=overview] tr[data-task="${demo.taskId}"]`);
    await expect.poll(() => row.locator('[data-field=results]').textContent()).toBe(en.format(f.count));
    expect(await row.locator('[data-field=answered]').textContent()).toBe(en.format(f.answered));
    await row.locator('a').click();
    await expect.poll(() => stat(page, 'calls').textContent()).toBe(en.format(f.count));
    expect(await stat(page, 'answered').textContent()).toBe(en.format(f.answered));
    expect(await stat(page, 'called').textContent()).toBe(en.format(f.contactsCalled));
    expect(await stat(page, 'contactsAnswered').textContent()).toBe(en.format(f.contactsAnswered));
    expect(await stat(page, 'redials').textContent()).toBe(en.format(f.redials));
    expect(await stat(page, 'contacts').textContent()).toBe(en.format(demo.contacts));
    const shown = new Map<string, number>();
    for (const tr of await page.locator('[data-testid=outcomes] tbody tr').all()) {
      shown.set((await tr.getAttribute('data-key'))!, Number((await tr.locator('[data-field=count]').textContent())!.replace(/,/g, '')));
    }
    expect(shown).toEqual(f.outcomes);
    expect(await page.locator('[data-testid=outcomes] tbody tr').first().locator('td').first().textContent()).toMatch(/^(Answered|No answer|Busy|Powered off|Out of service|Refused|Cannot connect|System error)$/);
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(4);
    // Phones are masked until asked for.
    const phones = await page.locator('[data-testid=results] [data-field=phone]').allTextContents();
    expect(phones.length).toBe(Math.min(50, f.count));
    expect(phones.every((p) => /\*{3,}/.test(p))).toBe(true);
    expect(await page.locator('[data-testid=results-count]').textContent()).toBe(`50 of ${en.format(f.count)}`);
    mkdirSync(resolve('docs'), { recursive: true });
    // The top of the task view: progress, the four charts and the first results.
    await page.setViewportSize({ width: 1280, height: 1700 });
    await page.screenshot({ path: resolve('docs/dashboard.png') });
    await page.locator('[data-testid=show-phones]').check();
    await expect.poll(async () => (await page.locator('[data-testid=results] [data-field=phone]').allTextContents()).some((p) => p.includes('*'))).toBe(false);
    await ctx.close();
  });

  it('a push stored while the page is open appears without a reload; an HTML outId shows as text and runs nothing', async () => {
    const { ctx, page } = await open('en-US', `#/task/${encodeURIComponent(demo.taskId)}`);
    const before = await storeFigures();
    await expect.poll(() => stat(page, 'calls').textContent()).toBe(en.format(before.count));
    await page.evaluate(() => ((globalThis as unknown as { __marker: number }).__marker = 42));
    const res = await request(pushUrl, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ taskId: demo.taskId, outId: XSS, callId: 'live-1', attempt: 1, callResult: 0, telephone: '13912345678', intent: '<b>A</b>', talkDuration: 42 }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(await store.count({ taskId: demo.taskId })).toBe(before.count + 1);
    await expect.poll(() => stat(page, 'calls').textContent(), { timeout: 15_000 }).toBe(en.format(before.count + 1));
    const first = page.locator('[data-testid=results] tbody tr').first();
    await expect.poll(() => first.locator('[data-field=outId]').textContent()).toBe(XSS);
    expect(await first.locator('td').nth(3).textContent()).toBe('<b>A</b>');
    expect(await page.locator('[data-testid=results] img, [data-testid=results] b').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.evaluate(() => (globalThis as unknown as { __marker?: number }).__marker)).toBe(42);
    expect(await first.locator('[data-field=phone]').textContent()).toBe('139****5678');
    await ctx.close();
  });

  it('renders in zh-CN from the browser language, and switches to English', async () => {
    const { ctx, page } = await open('zh-CN', `#/task/${encodeURIComponent(demo.taskId)}`);
    const f = await storeFigures();
    await expect.poll(() => page.locator('header h1').textContent()).toBe('外呼任务看板');
    await expect.poll(() => stat(page, 'calls').textContent()).toBe(zh.format(f.count));
    expect(await page.locator('[data-testid=progress] [data-field=calls] .stat-label').textContent()).toBe('呼叫次数');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('[data-testid=outcomes] thead th').first().textContent()).toBe('结果');
    await page.locator('[data-testid=lang-switch]').click();
    await expect.poll(() => page.locator('header h1').textContent()).toBe('Campaign dashboard');
    expect(await page.locator('[data-testid=progress] [data-field=calls] .stat-label').textContent()).toBe('Calls');
    await ctx.close();
  });

  it('made no request off the machine', () => {
    const origin = new URL(dash.url).origin;
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.every((u) => u.startsWith('http://127.0.0.1:'))).toBe(true);
    expect(requested.some((u) => u === `${origin}/app.js`)).toBe(true);
    expect(offMachine).toEqual([]);
  });
});
