// Issue 12 #1: a push reusing a stored key with a different body is a conflict (kept, counted, logged),
// not a duplicate dropped with 200 and no word. Over real HTTP, on SQLite and the real PostgreSQL.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPushReceiver, type PushReceiver } from '../src/push/receiver.js';
import { ManualClock } from '../src/internal/clock.js';
import { collectingLogger } from './helpers.js';
import { freshStore, postgresAvailable, type StoreKind, type TestStore } from './fixtures/push-stores.js';
import { SECRET, callPush, post, serve, type Running } from './fixtures/push-http.js';

describe.each(['sqlite', 'postgres'] as StoreKind[])('push conflicts on %s', (kind) => {
  let ts: TestStore;
  let receiver: PushReceiver;
  let srv: Running;
  let log: ReturnType<typeof collectingLogger>;
  let skip = false;

  beforeAll(async () => {
    if (kind === 'postgres') skip = !(await postgresAvailable());
  });
  beforeEach(async (ctx) => {
    if (skip) ctx.skip();
    ts = await freshStore(kind);
    log = collectingLogger();
    receiver = await createPushReceiver({ secret: SECRET, store: ts.store, clock: new ManualClock(Date.UTC(2026, 0, 5, 3, 0, 0)), logger: log });
    srv = await serve(receiver);
  });
  afterEach(async () => {
    if (skip) return;
    await srv.close();
    await receiver.close();
    await ts.cleanup();
  });

  it('tells a true duplicate (same body, keys reordered, new pushTime) from a conflict (same key, other content)', async () => {
    const first = callPush('t1', 'o1');
    expect((await post(srv.url(), first)).status).toBe(200);
    // The same push again: keys in another order, a later pushTime. A duplicate.
    const reordered = Object.fromEntries(Object.entries({ ...first, pushTime: 1 }).reverse());
    expect((await post(srv.url(), reordered)).status).toBe(200);
    expect(receiver.stats()).toMatchObject({ stored: 1, duplicates: 1, conflicts: 0 });
    expect(await ts.store.countConflicts()).toBe(0);

    // Same [taskId, outId, callId, attempt], other outcome: what a restarted server reusing ids sends.
    const other = { ...first, callResult: 3, callResultName: 'BUSY', talkDuration: 0, telephone: '13900139000' };
    expect((await post(srv.url(), other)).status).toBe(200);
    // Sent again (its own resend): recorded once.
    expect((await post(srv.url(), { ...other, pushTime: 2 })).status).toBe(200);
    expect(receiver.stats()).toMatchObject({ stored: 1, duplicates: 1, conflicts: 2 });

    expect(await ts.store.count()).toBe(1);
    expect(await ts.store.countConflicts()).toBe(1);
    expect(await ts.store.countConflicts({ taskId: 't1' })).toBe(1);
    expect(await ts.store.countConflicts({ taskId: 'other' })).toBe(0);
    const [c, ...rest] = await ts.store.conflicts();
    expect(rest).toHaveLength(0);
    const [stored] = await ts.store.query();
    expect(c).toMatchObject({ key: stored!.key, eventId: stored!.id, taskId: 't1', outId: 'o1', callId: 't1-o1-1', attempt: 1 });
    expect(c!.firstHash).not.toBe(c!.newHash);
    expect(JSON.parse(c!.raw.toString('utf8'))).toEqual(other);

    const warnings = log.lines.filter((l) => l.startsWith('warn '));
    expect(warnings).toHaveLength(2);
    // The key is in the message itself (loggers that print only the message, as `webhooks serve` does, show it).
    expect(warnings[0]!.startsWith(`warn push ${stored!.key} conflicts with a stored event`)).toBe(true);
    expect(log.lines.join('\n')).not.toContain(SECRET);
  });

  it('a conflict inside one batch request is kept too', async () => {
    const a = callPush('t2', 'o1');
    const b = { ...a, callResult: 1, callResultName: 'NO_ANSWER' };
    expect((await post(srv.url(), [a, b])).status).toBe(200);
    expect(await ts.store.count()).toBe(1);
    expect(await ts.store.countConflicts()).toBe(1);
    expect(receiver.stats()).toMatchObject({ stored: 1, conflicts: 1 });
  });
});
