// `zhichi dashboard`, `webhooks serve --dashboard` and `demo --dashboard`, in process: the URL on the
// first line, the page answering there, a clean stop on abort (what Ctrl-C does), bad setups refused.
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';
import { openEventStore } from '../src/push/store.js';
import { captureIO, tempDir, zhichi } from './cli-helpers.js';
import { TEST_NOW } from './helpers.js';

/** Starts `zhichi argv` in process and resolves with its first stdout line, plus a stop that aborts it. */
async function start(argv: string[], env: Record<string, string> = {}, linePattern = /^.*https?:\/\/\S+/m) {
  const ac = new AbortController();
  let out = '';
  let seen: (s: string) => void = () => undefined;
  const line = new Promise<string>((r) => (seen = r));
  const io = captureIO({
    env,
    signal: ac.signal,
    stdout: (s) => {
      out += s;
      const m = linePattern.exec(out);
      if (m) seen(m[0]);
    },
  });
  const done = run(argv, io);
  const first = await Promise.race([line, done.then((code) => `exited ${code}: ${io.err()}`)]);
  return { first, out: () => out, err: io.err, stop: async () => { ac.abort(); return done; } };
}

const getJson = async (url: string) => {
  const r = await request(url);
  return { status: r.statusCode, body: JSON.parse(await r.body.text()) as Record<string, unknown> };
};

describe('zhichi dashboard', () => {
  const tmp = tempDir('zhichi-dash-cli-');
  const db = join(tmp.dir, 'events.db');

  beforeAll(async () => {
    const store = await openEventStore(db);
    await store.insert([{
      key: 'k1', source: 'push', known: true, receivedAt: TEST_NOW, remoteAddress: null, contentType: null,
      fields: { taskId: 'cli-task', outId: 'o1', callResult: 0, attempt: 1 }, raw: new TextEncoder().encode('{}'),
    }]);
    await store.close();
  });
  afterAll(() => tmp.cleanup());

  it('prints its URL on the first line, serves the store there, stops cleanly on abort', async () => {
    const d = await start(['dashboard', '--db', db, '--port', '0']);
    expect(d.first).toMatch(/^dashboard on http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(d.out().split('\n')[0]).toBe(d.first);
    const url = d.first.replace('dashboard on ', '');
    const o = await getJson(`${url}api/overview`);
    expect(o.body['tasks']).toEqual([{ taskId: 'cli-task', results: 1, answered: 1, answeredShare: 1, lastReceivedAt: TEST_NOW }]);
    expect(await d.stop()).toBe(0);
    await expect(request(`${url}api/overview`)).rejects.toThrow();
  });

  it('refuses a non-loopback host without a token, a missing store, and never prints the token', async () => {
    const open = await zhichi(['dashboard', '--db', db, '--host', '0.0.0.0', '--port', '0']);
    expect(open.code).toBe(2);
    expect(open.err).toMatch(/binding 0\.0\.0\.0 \(not loopback\) requires an access token/);
    const missing = await zhichi(['dashboard', '--db', join(tmp.dir, 'nope.db')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no event store at .*nope\.db/);
    const token = 'cli-dashboard-token-0123456789';
    const d = await start(['dashboard', '--db', db, '--host', '0.0.0.0', '--port', '0'], { ZHICHI_DASHBOARD_TOKEN: token });
    expect(d.first).toMatch(/^dashboard on http:\/\/0\.0\.0\.0:\d+\/$/);
    const port = /:(\d+)\//.exec(d.first)![1];
    expect((await getJson(`http://127.0.0.1:${port}/api/overview`)).status).toBe(401);
    const r = await request(`http://127.0.0.1:${port}/api/overview`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.statusCode).toBe(200);
    await r.body.text();
    expect(await d.stop()).toBe(0);
    expect(d.out() + d.err()).not.toContain(token);
  });

  it('webhooks serve --dashboard answers pushes and the dashboard on one port', async () => {
    const secret = 'push-secret-0123456789abcdef';
    const d = await start(['webhooks', 'serve', '--db', db, '--port', '0', '--secret', secret, '--dashboard'], {}, /^dashboard on \S+$/m);
    expect(d.first).toMatch(/^dashboard on http:\/\/127\.0\.0\.1:\d+\/dashboard\/$/);
    const base = d.first.replace('dashboard on ', '');
    const push = await request(base.replace('/dashboard/', `/api/zhichi/events?secret=${secret}`), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ taskId: 'cli-task', outId: 'o2', callResult: 1, attempt: 1 }),
    });
    expect(push.statusCode).toBe(200);
    await push.body.text();
    const o = await getJson(`${base}api/overview`);
    expect(o.body['tasks']).toMatchObject([{ taskId: 'cli-task', results: 2, answered: 1 }]);
    expect(await d.stop()).toBe(0);
  });

  it('demo --dashboard keeps the dashboard open on the demo store and prints its URL', async () => {
    const d = await start(['demo', '--contacts', '60', '--bad', '2', '--dir', join(tmp.dir, 'demo'), '--dashboard'], {}, /^dashboard \S+/m);
    expect(d.first).toMatch(/^dashboard http:\/\/127\.0\.0\.1:\d+\/#\/task\/\S+$/);
    const url = d.first.replace('dashboard ', '');
    const taskId = decodeURIComponent(url.split('#/task/')[1]!);
    const s = await getJson(`${url.split('#')[0]}api/tasks/${encodeURIComponent(taskId)}/stats`);
    expect(s.body['progress']).toMatchObject({ contacts: 58 });
    expect(await d.stop()).toBe(0);
  }, 120_000);
});
