// Ids that go into a URL path are checked before anything is sent: outId against the URL-safe set
// (letters, digits, - . _ ~, 1–64 long, not "." or ".."), every other id (taskId) for a dot
// segment, which URL resolution would turn into another endpoint. The emulator refuses what a
// Java gateway refuses (%2F, %5C, dot segments) for clients that send them anyway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUT_ID_RULE, ZhichiClient, ZhichiValidationError, contactItem } from '../src/index.js';
import { startEmulator } from '../src/emulator/index.js';
import { requestsTo, seedTask, TEST_NOW } from './helpers.js';

let emu: Awaited<ReturnType<typeof startEmulator>>;
let client: ZhichiClient;
let taskId = '';

beforeAll(async () => {
  emu = await startEmulator({ apiKey: 'k', apiSecret: 's', companyId: 'co', clock: { mode: 'manual', start: TEST_NOW }, env: {} });
  client = new ZhichiClient({ baseUrl: emu.url, apiKey: 'k', apiSecret: 's', companyId: 'co', env: {} });
  taskId = (await client.tasks.create(seedTask())).taskId;
});
afterAll(async () => {
  await client?.close();
  await emu?.close();
});

async function refusal(p: Promise<unknown>): Promise<ZhichiValidationError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ZhichiValidationError);
  return err as ZhichiValidationError;
}

describe('path safety', () => {
  it('contacts.add refuses an outId outside the safe set, naming it, before sending', async () => {
    const before = (await requestsTo(emu.url, '/task-contacts')).length;
    const err = await refusal(client.contacts.add(taskId, [
      { outId: 'A/B', telephone: '13900139001' },
      { outId: '订单1', telephone: '13900139002' },
      { outId: '..', telephone: '13900139003' },
      { outId: 'a b', telephone: '13900139004' },
      { outId: 'x'.repeat(65), telephone: '13900139005' },
    ]));
    expect(err.issues.map((i) => i.path)).toEqual(['contactList[0].outId', 'contactList[1].outId', 'contactList[2].outId', 'contactList[3].outId', 'contactList[4].outId']);
    expect(err.issues[0]!.message).toBe(OUT_ID_RULE);
    expect(err.issues[4]!.message).toMatch(/at most 64 characters/);
    expect((await requestsTo(emu.url, '/task-contacts')).length).toBe(before);
  });

  it('every character of the safe set works end to end, the look-up included', async () => {
    const outId = 'Az09-._~' + 'x'.repeat(56);
    expect(outId).toHaveLength(64);
    const added = await client.contacts.add(taskId, [{ outId, telephone: '13900139009' }, { outId: '1234', telephone: '13900139010' }]);
    expect(added.successCount).toBe(2);
    expect((await client.contacts.get(taskId, outId)).outId).toBe(outId);
    expect(contactItem.safeParse({ outId: 1234, telephone: '13900139010' }).success).toBe(true);
  });

  it('contacts.get refuses an unsafe outId and a dot-segment taskId before sending', async () => {
    const before = (await requestsTo(emu.url, '/reference-task-contacts')).length;
    const a = await refusal(client.contacts.get(taskId, 'A/B'));
    expect(a.issues).toEqual([{ path: 'outId', message: OUT_ID_RULE }]);
    expect(a.message).toContain('invalid path parameters: outId must be');
    const b = await refusal(client.contacts.get('..', '.'));
    expect(b.issues.map((i) => i.path)).toEqual(['taskId', 'outId']);
    expect(b.issues[0]!.message).toMatch(/must not be "\." or "\.\."/);
    expect((await requestsTo(emu.url, '/reference-task-contacts')).length).toBe(before);
  });

  it('tasks.get and results.list refuse ".", ".." and an empty taskId before sending', async () => {
    for (const bad of ['.', '..', '']) {
      const e1 = await refusal(client.tasks.get(bad));
      expect(e1.issues[0]!.path).toBe('taskId');
      const e2 = await refusal(client.results.list(bad));
      expect(e2.issues[0]!.path).toBe('taskId');
    }
    // A taskId with a slash is escaped and sent; the gateway (here the emulator) refuses %2F with HTTP 400.
    await expect(client.tasks.get('a/b')).rejects.toMatchObject({ name: 'ZhichiHttpError', status: 400 });
  });
});
