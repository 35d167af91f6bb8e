// `--json` on the long-running commands (emulator, relay, dashboard, demo --dashboard) through the real
// bin: each status line is one JSON object per line on stdout, nothing else there; and `zhichi token`
// shows every time in this host's clock, even against an emulator whose clock is elsewhere.
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { openEventStore } from '../src/push/store.js';
import { startBin, zhichiBin } from './bin-helpers.js';
import { T0, envFor, startTestEmulator, tempDir } from './cli-helpers.js';
import { BROKER_URLS, dropBroker, makeEvents, uniqueNames } from './fixtures/brokers.js';
import { freshStore } from './fixtures/push-stores.js';
import { TEST_NOW } from './helpers.js';

/** Every stdout line, each parsed as JSON (throws on a line that is not JSON). */
const jsonLines = (out: string): Array<Record<string, unknown>> =>
  out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('--json on the long-running commands', () => {
  const tmp = tempDir('zhichi-cli-json-');
  afterAll(() => tmp.cleanup());

  it('zhichi emulator --json: a {"listening"} line first, a {"stopped"} line last, nothing on stderr', async () => {
    const child = startBin(['emulator', '--json', '--manual', '--port', '0', '--id-namespace', '0a1b2c3d'], { cwd: tmp.dir });
    await child.waitFor(/\n/);
    const first = JSON.parse(child.out().split('\n')[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ idNamespace: '0a1b2c3d', strict: false, clock: { mode: 'manual', speed: null } });
    expect(first['listening']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(first['baseUrl']).toBe(first['listening']);
    expect(first['control']).toMatch(/\/__emulator\/$/);
    const r = await request(`${first['control'] as string}clock`);
    expect(r.statusCode).toBe(200);
    await r.body.dump();
    expect(await child.stop()).toBe(0);
    const lines = jsonLines(child.out());
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({ stopped: { url: first['listening'] } });
    expect(child.err()).toBe('');
  });

  it('zhichi relay --json: start, done and stop lines as JSON; progress lines while following', async () => {
    const ts = await freshStore('sqlite');
    const n = uniqueNames();
    try {
      await ts.store.insert(makeEvents(3));
      const args = ['relay', '--json', '--db', ts.location, '--to', BROKER_URLS.bullmq, '--queue', n.queue];
      const once = await zhichiBin([...args, '--once'], { cwd: tmp.dir });
      expect(once.code, once.err).toBe(0);
      const lines = jsonLines(once.out);
      expect(lines[0]).toMatchObject({ relay: 'default', to: BROKER_URLS.bullmq });
      expect(lines[0]!['instanceId']).toEqual(expect.any(String));
      expect(lines[1]).toEqual({ done: { leader: true, published: 3 } });
      expect(lines).toHaveLength(2);

      await ts.store.insert(makeEvents(2, 3));
      const child = startBin([...args, '--stats-every', '100'], { cwd: tmp.dir });
      await child.waitFor(/"progress":\{"published":2,/);
      expect(await child.stop()).toBe(0);
      const follow = jsonLines(child.out());
      expect(follow[0]).toMatchObject({ relay: 'default' });
      expect(follow.slice(1, -1).every((l) => 'progress' in l)).toBe(true);
      expect(follow.at(-1)).toEqual({ stopped: { published: 2, errors: 0 } });
    } finally {
      await dropBroker('bullmq', n).catch(() => undefined);
      await ts.cleanup();
    }
  }, 60_000);

  describe('zhichi dashboard --json', () => {
    const db = join(tmp.dir, 'dash.db');
    beforeAll(async () => {
      const store = await openEventStore(db);
      await store.insert([{
        key: 'k1', source: 'push', known: true, receivedAt: TEST_NOW, remoteAddress: null, contentType: null,
        fields: { taskId: 'cli-task', outId: 'o1', callResult: 0, attempt: 1 }, raw: new TextEncoder().encode('{}'),
      }]);
      await store.close();
    });

    it('prints one {"listening"} line, never the token, and a {"stopped"} line', async () => {
      const token = 'dash-token-0123456789abcdef';
      const child = startBin(['dashboard', '--json', '--db', db, '--port', '0'], { cwd: tmp.dir, env: { ZHICHI_DASHBOARD_TOKEN: token } });
      await child.waitFor(/\n/);
      const first = JSON.parse(child.out().split('\n')[0]!) as Record<string, unknown>;
      expect(first).toMatchObject({ store: db, storeKind: 'sqlite', readOnly: true, tokenRequired: true });
      expect(first['listening']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const r = await request(`${first['listening'] as string}api/overview?token=${token}`);
      expect(r.statusCode).toBe(200);
      await r.body.dump();
      expect(await child.stop()).toBe(0);
      expect(jsonLines(child.out())).toEqual([first, { stopped: { url: first['listening'] } }]);
      expect(child.out() + child.err()).not.toContain(token);
    });
  });

  it('zhichi demo --dashboard --json: the summary, then a {"dashboard"} line with the task URL', async () => {
    const child = startBin(['demo', '--json', '--contacts', '40', '--bad', '2', '--dir', join(tmp.dir, 'demo'), '--dashboard'], { cwd: tmp.dir });
    const m = await child.waitFor(/^\{"dashboard":.*\}$/m);
    const line = JSON.parse(m[0]) as { dashboard: { listening: string; task: string; store: string } };
    expect(line.dashboard.task).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#\/task\/\S+$/);
    expect(line.dashboard.task.startsWith(line.dashboard.listening)).toBe(true);
    expect(line.dashboard.store).toBe(join(tmp.dir, 'demo', 'events.db'));
    const summaryText = child.out().slice(0, child.out().indexOf(m[0]));
    expect(JSON.parse(summaryText)).toMatchObject({ contacts: 38, consistent: true });
    expect(await child.stop()).toBe(0);
    expect(child.out().trimEnd().split('\n').at(-1)).toBe(JSON.stringify({ stopped: { url: line.dashboard.listening } }));
  }, 120_000);
});

describe('zhichi token against an emulator on another clock', () => {
  let emu: EmulatorHandle;
  // The emulator's manual clock stands at T0, far from this host's clock: createTime is T0.
  beforeAll(async () => {
    emu = await startTestEmulator({ expiresIn: 7200 });
  });
  afterAll(() => emu.close());

  const parseShown = (out: string, key: string): number => {
    const m = new RegExp(`^${key}\\s+(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)`, 'm').exec(out);
    if (!m) throw new Error(`no ${key} line in:\n${out}`);
    return Date.parse(`${m[1]!.replace(' ', 'T')}+08:00`);
  };

  it('created and expires are one lifetime apart (both in this host\'s clock), refresh is where the manager refreshes', async () => {
    const r = await zhichiBin(['token', '--token-cache', 'off'], { env: envFor(emu) });
    expect(r.code, r.err).toBe(0);
    const created = parseShown(r.out, 'created');
    const expires = parseShown(r.out, 'expires');
    const refresh = parseShown(r.out, 'refresh');
    expect(expires - created).toBe(7200 * 1000);
    // The token manager serves the token until half its lifetime is left (its default margin).
    expect(refresh - created).toBe(3600 * 1000);
    // The server's own createTime is still shown, labelled with its clock.
    expect(parseShown(r.out, 'server time')).toBe(T0);
    expect(r.out).toMatch(/^server time .*server's clock/m);
  });

  it('--json: createdAt, expiresAt and refreshAt in this host\'s clock; createTime stays the server\'s', async () => {
    const before = Date.now();
    const r = await zhichiBin(['token', '--json', '--token-cache', 'off'], { env: envFor(emu) });
    const after = Date.now();
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as Record<string, number>;
    expect(j['createTime']).toBe(T0);
    expect(j['createdAt']).toBeGreaterThanOrEqual(before);
    expect(j['createdAt']).toBeLessThanOrEqual(after);
    expect(j['expiresAt']! - j['createdAt']!).toBe(7200 * 1000);
    expect(j['refreshAt']).toBe(j['expiresAt']! - 3600 * 1000);
    expect(r.out).not.toContain('cli-secret-value-0123');
  });
});
