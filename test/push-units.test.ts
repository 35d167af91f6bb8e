// Unit tests of the receiver's pure parts: group commit, field extraction and keys, auth helpers.
import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../src/push/group-commit.js';
import { eventKey, extractFields, parseBody, parseTime } from '../src/push/extract.js';
import { IpAllowList, SecretChecker, clientAddress } from '../src/push/auth.js';
import { isAcceptedType, parseContentType } from '../src/push/body.js';
import { callPush } from './fixtures/push-http.js';

describe('GroupCommitter', () => {
  it('commits everything submitted in one turn as one batch and settles each caller after it', async () => {
    const commits: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommitter<number, string>(async (items) => {
      commits.push(items);
      if (commits.length === 1) await gate;
      return items.map((i) => `ok${i}`);
    });
    const settled: string[] = [];
    const first = [1, 2, 3].map((i) => gc.submit(i).then((r) => void settled.push(r)));
    await new Promise((r) => setImmediate(r));
    // The first batch is committing (gated); these three must wait and go together in the next commit.
    const second = [4, 5, 6].map((i) => gc.submit(i).then((r) => void settled.push(r)));
    await new Promise((r) => setImmediate(r));
    expect(commits).toEqual([[1, 2, 3]]);
    expect(settled).toEqual([]);
    release();
    await Promise.all([...first, ...second]);
    expect(commits).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(settled).toEqual(['ok1', 'ok2', 'ok3', 'ok4', 'ok5', 'ok6']);
    expect(gc.commits).toBe(2);
  });

  it('splits at maxBatch, isolates the one poison item of a failed batch, and keeps going', async () => {
    let n = 0;
    const gc = new GroupCommitter<number, number>(
      async (items) => {
        n++;
        if (items.includes(13)) throw new Error('boom');
        return items;
      },
      { maxBatch: 4 },
    );
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => gc.submit(i + 10)));
    // Batch [10..13] fails as a whole, then its items are retried singly: only 13 fails.
    expect(n).toBe(3 + 4);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(await gc.submit(1)).toBe(1);
    await gc.idle();
    expect(() => new GroupCommitter(async () => [], { maxBatch: 0 })).toThrow(/maxBatch/);
  });

  it('submitAll: one promise for a request\'s items, results in order across batches, rejected by one failed item', async () => {
    const commits: number[][] = [];
    const gc = new GroupCommitter<number, string>(
      async (items) => {
        commits.push(items);
        if (items.includes(99)) throw new Error('refused 99');
        return items.map((i) => `ok${i}`);
      },
      { maxBatch: 2 },
    );
    // Five items of one caller and one of another, split 2 + 2 + 2 by maxBatch: each caller gets its own, in order.
    const [all, single] = await Promise.all([gc.submitAll([1, 2, 3, 4, 5]), gc.submit(6)]);
    expect(all).toEqual(['ok1', 'ok2', 'ok3', 'ok4', 'ok5']);
    expect(single).toBe('ok6');
    expect(commits).toEqual([[1, 2], [3, 4], [5, 6]]);
    // A poison item fails its caller once; its neighbour in the same batch (another caller) is stored.
    commits.length = 0;
    const [bad, good] = await Promise.allSettled([gc.submitAll([99]), gc.submitAll([8])]);
    expect(commits).toEqual([[99, 8], [99], [8]]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: 'refused 99' } });
    expect(good).toEqual({ status: 'fulfilled', value: ['ok8'] });
    // One failed item of several rejects the whole request (it is answered 503 and sent again).
    await expect(gc.submitAll([7, 99])).rejects.toThrow('refused 99');
    expect(await gc.submitAll([])).toEqual([]);
    await gc.idle();
  });
});

describe('extraction', () => {
  it('reads times in ms, seconds, CST local text and ISO with zone', () => {
    const ms = Date.UTC(2026, 0, 5, 2, 0, 0);
    expect(parseTime(ms)).toBe(ms);
    expect(parseTime(ms / 1000)).toBe(ms);
    expect(parseTime(String(ms))).toBe(ms);
    expect(parseTime('2026-01-05 10:00:00')).toBe(ms);
    expect(parseTime('2026-01-05T10:00:00+08:00')).toBe(ms);
    expect(parseTime('2026-01-05T02:00:00Z')).toBe(ms);
    expect(parseTime('yesterday')).toBeUndefined();
    expect(parseTime(42)).toBeUndefined();
  });

  it('matches aliases case- and underscore-insensitively; outer fields win over wrapped ones', () => {
    const f = extractFields({
      TASK_ID: 't', out_id: 7, Call_Id: 'c', attempt: '2', phone: '13800138000', result: 'busy',
      data: { taskId: 'inner', talkDuration: 12, result: { nested: true } },
    });
    expect(f).toEqual({ taskId: 't', outId: '7', callId: 'c', attempt: 2, telephone: '13800138000', callResult: 2, callResultName: 'BUSY', talkDuration: 12 });
    expect(extractFields({ content: JSON.stringify({ outId: 'x', callTimes: 3 }) })).toEqual({ outId: 'x', attempt: 3 });
    expect(extractFields({ attempt: -1, taskId: '', outId: 'y'.repeat(300), callId: 'a\u0000b', callResult: 2 ** 40 })).toEqual({});
    expect(extractFields('text')).toEqual({});
  });

  it('keys on task, outId, call id and attempt, else on the body hash', () => {
    const raw = Buffer.from('{}');
    expect(eventKey({ taskId: 't', outId: 'o', attempt: 1 }, raw)).toBe('["t","o",null,1]');
    expect(eventKey({ taskId: 't', callId: 'c' }, raw)).toBe('["t",null,"c",null]');
    const h1 = eventKey({ taskId: 't', outId: 'o' }, raw);
    expect(h1).toMatch(/^sha256:/);
    expect(eventKey({}, Buffer.from('{}'))).toBe(h1);
    expect(eventKey({}, Buffer.from('{ }'))).not.toBe(h1);
  });

  it('marks contract pushes known and splits arrays of records', () => {
    const one = parseBody(callPush('t', 'o'), Buffer.from('x'));
    expect(one).toHaveLength(1);
    expect(one[0]!.known).toBe(true);
    const many = parseBody([callPush('t', 'a'), { foo: 1 }], Buffer.from('x'));
    expect(many.map((e) => e.known)).toEqual([true, false]);
    expect(parseBody([], Buffer.from('[]'))).toHaveLength(1);
  });
});

describe('auth helpers', () => {
  it('compares secrets in full, accepting any of several', () => {
    const c = new SecretChecker(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
    expect(c.check('aaaaaaaaaaaaaaaa')).toBe(true);
    expect(c.check('bbbbbbbbbbbbbbbb')).toBe(true);
    expect(c.check('aaaaaaaaaaaaaaa')).toBe(false);
    expect(c.check('')).toBe(false);
    expect(c.check(null)).toBe(false);
    expect(JSON.stringify(c)).not.toContain('aaaa');
  });

  it('allows exact addresses and CIDR ranges, IPv4, IPv6 and IPv4-mapped', () => {
    const l = new IpAllowList(['203.0.113.7', '10.0.0.0/8', '2001:db8::/32']);
    expect(l.allows('203.0.113.7')).toBe(true);
    expect(l.allows('::ffff:10.1.2.3')).toBe(true);
    expect(l.allows('2001:db8::1')).toBe(true);
    expect(l.allows('203.0.113.8')).toBe(false);
    expect(l.allows('11.0.0.1')).toBe(false);
    expect(l.allows(undefined)).toBe(false);
    expect(l.allows('garbage')).toBe(false);
  });

  it('trusts X-Forwarded-For only as many hops as configured, from the right', () => {
    expect(clientAddress('10.0.0.1', '1.1.1.1, 2.2.2.2', 0)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', '1.1.1.1, 2.2.2.2', 1)).toBe('2.2.2.2');
    expect(clientAddress('10.0.0.1', '1.1.1.1, 2.2.2.2', 2)).toBe('1.1.1.1');
  });

  it('parses content types and accepts JSON-ish ones only', () => {
    expect(parseContentType('Application/JSON; Charset="UTF-8"')).toEqual({ type: 'application/json', charset: 'utf-8' });
    expect(parseContentType(undefined)).toEqual({ type: '' });
    expect(['', 'application/json', 'application/vnd.sobot+json', 'text/plain', 'text/json'].every(isAcceptedType)).toBe(true);
    expect(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/xml'].some(isAcceptedType)).toBe(false);
  });
});

describe('reconcile with a paged-only source', () => {
  it('pages list() to the end, looks up suspect contacts and reports attempts no record covers', async () => {
    const { openEventStore } = await import('../src/push/store.js');
    const { reconcile } = await import('../src/push/reconcile.js');
    const store = await openEventStore(':memory:');
    try {
      const rec = (outId: string, attempt: number) => callPush('T', outId, attempt) as unknown as import('../src/contract/index.js').CallRecord;
      // The API lists a1, a3 (a2 is missing: a gap) and b1; the contact detail of `a` claims 4 attempts.
      const all = [rec('a', 1), rec('a', 3), rec('b', 1)];
      const pages: number[] = [];
      const source = {
        results: {
          list: async (_t: string, p: { pageNo?: number; pageSize?: number }) => {
            pages.push(p.pageNo!);
            const from = (p.pageNo! - 1) * p.pageSize!;
            return { total: all.length, pageNo: p.pageNo, pageSize: p.pageSize, list: all.slice(from, from + p.pageSize!) };
          },
        },
        contacts: {
          get: async (taskId: string, outId: string) => ({ taskId, outId, attempts: outId === 'a' ? 4 : 1, calls: outId === 'a' ? [rec('a', 2)] : [] }),
        },
      };
      const r = await reconcile(store, { client: source, taskId: 'T', pageSize: 2 });
      expect(pages).toEqual([1, 2]);
      expect(r).toMatchObject({ apiRecords: 3, backfilled: 4, contactsChecked: 1, mismatches: [{ outId: 'a', known: 3, api: 4 }] });
      expect((await store.query({ taskId: 'T' })).map((e) => `${e.outId}${e.attempt}:${e.source}`)).toEqual(['a1:reconcile', 'a3:reconcile', 'b1:reconcile', 'a2:reconcile']);
      await expect(reconcile(store, { client: source, taskId: '' })).rejects.toThrow(/taskId/);
    } finally {
      await store.close();
    }
  });
});

describe('lazy drivers', () => {
  it('importing the receiver loads neither better-sqlite3 nor pg; opening a store loads only its driver', async () => {
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const script = `
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /node_modules\\/(better-sqlite3|pg)\\//.test(k)).map((k) => k.includes('better-sqlite3') ? 'sqlite' : 'pg');
      const push = await import(${JSON.stringify(fileURLToPath(new URL('../src/push/index.ts', import.meta.url)))});
      const before = [...new Set(loaded())];
      const s = await push.openEventStore(':memory:');
      await s.close();
      console.log(JSON.stringify({ before, after: [...new Set(loaded())] }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ before: [], after: ['sqlite'] });
  });
});
