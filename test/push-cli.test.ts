// `zhichi webhooks serve` and `zhichi results …`, run in process on the real program, against real HTTP,
// a real SQLite file and the emulator.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { describeFailure } from '../src/cli/failure.js';
import { EXIT, type CliIO } from '../src/cli/io.js';
import { register as registerWebhooks } from '../src/cli/commands/webhooks.js';
import { register as registerResults } from '../src/cli/commands/results.js';
import { openEventStore } from '../src/push/store.js';
import { captureIO, envFor, startTestEmulator, tempDir, T0 } from './cli-helpers.js';
import { Raw, contacts } from './emulator-helpers.js';
import { SECRET, callPush, post } from './fixtures/push-http.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs `zhichi argv` in process with the push commands registered (main.ts may not list them yet). */
async function cli(argv: string[], io: CliIO): Promise<number> {
  let commanderText = '';
  const program = buildProgram(io, (s) => (commanderText += s));
  if (!program.commands.some((c) => c.name() === 'webhooks')) registerWebhooks(program, io);
  if (!program.commands.some((c) => c.name() === 'results')) registerResults(program, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      io.stderr(commanderText);
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const f = describeFailure(err);
    if (f.line) io.stderr(`error: ${f.line}\n`);
    return f.exitCode;
  }
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

function tmp() {
  const t = tempDir('zhichi-push-cli-');
  cleanups.push(t.cleanup);
  return { dir: t.dir, db: join(t.dir, 'events.db') };
}

describe('zhichi webhooks serve', () => {
  it('prints its URL first, stores pushes, never prints the secret, and drains an in-flight push on stop', async () => {
    const { dir, db } = tmp();
    const ac = new AbortController();
    const io = captureIO({ cwd: dir, signal: ac.signal });
    const done = cli(['webhooks', 'serve', '--port', '0', '--secret', SECRET, '--db', 'events.db', '--path', '/hook'], io);
    await waitFor(() => io.out().includes('\n'));
    const first = io.out().split('\n')[0]!;
    const m = /^listening on (http:\/\/127\.0\.0\.1:\d+\/hook)$/.exec(first);
    expect(m, first).not.toBeNull();
    const url = m![1]!;
    expect((await post(`${url}?secret=${SECRET}`, callPush('cli', 'o1'))).status).toBe(200);
    expect((await post(`${url}?secret=nope-nope-nope-nope`, callPush('cli', 'o2'))).status).toBe(401);
    expect((await post(`${url.replace('/hook', '/other')}?secret=${SECRET}`, callPush('cli', 'o3'))).status).toBe(404);

    // A push whose body is still arriving when the stop comes must be completed and stored.
    const json = JSON.stringify(callPush('cli', 'inflight'));
    const { hostname, port } = new URL(url);
    const { connect } = await import('node:net');
    const sock = connect(Number(port), hostname);
    let reply = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (reply += d));
    await new Promise<void>((r) => sock.on('connect', () => r()));
    sock.write(`POST /hook?secret=${SECRET} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json.slice(0, 20)}`);
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await waitFor(() => io.err().includes('draining'));
    sock.write(json.slice(20));
    await waitFor(() => reply.includes('\r\n\r\n'));
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    sock.destroy();

    expect(await done).toBe(EXIT.OK);
    expect(io.out()).toMatch(/stopped: 2 stored, 0 duplicates, rejected 401×1 404×1/);
    expect(io.out() + io.err()).not.toContain(SECRET);
    const store = await openEventStore(db);
    try {
      expect((await store.query({ taskId: 'cli' })).map((e) => e.outId)).toEqual(['o1', 'inflight']);
    } finally {
      await store.close();
    }
  });

  it('needs a push secret of 16+ characters (flag or ZHICHI_PUSH_SECRET) and a valid allow-list', async () => {
    const { dir } = tmp();
    let io = captureIO({ cwd: dir });
    expect(await cli(['webhooks', 'serve', '--port', '0'], io)).toBe(EXIT.USAGE);
    expect(io.err()).toMatch(/ZHICHI_PUSH_SECRET/);
    io = captureIO({ cwd: dir });
    expect(await cli(['webhooks', 'serve', '--port', '0', '--secret', 'short'], io)).toBe(EXIT.USAGE);
    expect(io.err()).toMatch(/at least 16/);
    expect(io.err()).not.toContain('short');
    io = captureIO({ cwd: dir, env: { ZHICHI_PUSH_SECRET: SECRET } });
    expect(await cli(['webhooks', 'serve', '--port', '0', '--allow-ip', '10.0.0.0/99'], io)).toBe(EXIT.USAGE);
    expect(io.err()).toMatch(/allowIps\[0\]/);
    // The env secret works and --forward receives stored events.
    const got: string[] = [];
    const sink = createServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => {
        got.push(b);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => sink.close(() => r())));
    const ac = new AbortController();
    io = captureIO({ cwd: dir, env: { ZHICHI_PUSH_SECRET: SECRET }, signal: ac.signal });
    const done = cli(['webhooks', 'serve', '--port', '0', '--forward', `http://127.0.0.1:${(sink.address() as AddressInfo).port}/in`], io);
    await waitFor(() => io.out().includes('\n'));
    const url = /listening on (\S+)/.exec(io.out())![1]!;
    const body = JSON.stringify(callPush('fwd', 'o1'));
    expect((await post(`${url}?secret=${SECRET}`, body)).status).toBe(200);
    await waitFor(() => got.length === 1);
    expect(got[0]).toBe(body);
    ac.abort();
    expect(await done).toBe(EXIT.OK);
  });
});

describe('zhichi results', () => {
  it('lists, exports CSV/JSON, and replays undelivered events to a URL', async () => {
    const { dir, db } = tmp();
    // Fill the store through a real serve run.
    const ac = new AbortController();
    const io0 = captureIO({ cwd: dir, signal: ac.signal });
    const done = cli(['webhooks', 'serve', '--port', '0', '--secret', SECRET, '--db', db], io0);
    await waitFor(() => io0.out().includes('\n'));
    const url = `${/listening on (\S+)/.exec(io0.out())![1]!}?secret=${SECRET}`;
    for (let i = 0; i < 5; i++) expect((await post(url, callPush('R', `o${i}`, 1, { intent: i === 0 ? 'A,"quoted"\nline' : 'B' }))).status).toBe(200);
    expect((await post(url, callPush('OTHER', 'x'))).status).toBe(200);
    expect((await post(url, { unknown: 'shape' })).status).toBe(200);
    ac.abort();
    expect(await done).toBe(EXIT.OK);

    let io = captureIO({ cwd: dir });
    expect(await cli(['results', 'list', '--task', 'R', '--db', db, '--limit', '3'], io)).toBe(EXIT.OK);
    const lines = io.out().trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+received\s+task\s+outId/);
    // Newest first (issue 12 #2), and the cut says how to see more.
    expect(lines.slice(2, 5).map((l) => l.trim().split(/\s+/)[4])).toEqual(['o4', 'o3', 'o2']);
    expect(lines[5]).toMatch(/^showing 3 of 5 results, newest first; more: --after-id \d+ for the next 3, or --all$/);

    io = captureIO({ cwd: dir });
    expect(await cli(['results', 'list', '--json', '--since', '1h', '--db', db, '--unknown'], io)).toBe(EXIT.OK);
    const unknown = JSON.parse(io.out()) as Array<{ known: boolean; body: unknown; raw: string }>;
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ known: false, body: { unknown: 'shape' }, raw: '{"unknown":"shape"}' });

    io = captureIO({ cwd: dir });
    expect(await cli(['results', 'export', '--format', 'csv', '--task', 'R', '--out', 'r.csv', '--db', db], io)).toBe(EXIT.OK);
    expect(io.err()).toBe('exported 5 events to r.csv\n');
    const csv = readFileSync(join(dir, 'r.csv'), 'utf8');
    const { parse } = await import('csv-parse/sync');
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatchObject({ taskId: 'R', outId: 'o0', intent: 'A,"quoted"\nline', known: 'true', source: 'push' });
    expect(rows[0]!['startTime']).toBe(new Date(callPush('R', 'o0').startTime as number).toISOString());
    expect(JSON.parse(rows[0]!['raw']!)).toEqual(callPush('R', 'o0', 1, { intent: 'A,"quoted"\nline' }));

    io = captureIO({ cwd: dir });
    expect(await cli(['results', 'export', '--format', 'json', '--db', db], io)).toBe(EXIT.OK);
    const all = JSON.parse(io.out()) as Array<{ taskId: string | null }>;
    expect(all.map((e) => e.taskId)).toEqual(['R', 'R', 'R', 'R', 'R', 'OTHER', null]);
    io = captureIO({ cwd: dir });
    expect(await cli(['results', 'export', '--format', 'xml', '--db', db], io)).toBe(EXIT.USAGE);

    // Replay: the target fails o1 once, so the first run is partial and the second finishes.
    const seen: string[] = [];
    let failedOnce = false;
    const target = createServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => {
        const outId = (JSON.parse(b) as { outId?: string }).outId ?? '?';
        if (outId === 'o1' && !failedOnce) {
          failedOnce = true;
          res.statusCode = 500;
          res.end();
          return;
        }
        seen.push(outId);
        res.end();
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => target.close(() => r())));
    const to = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    io = captureIO({ cwd: dir });
    expect(await cli(['results', 'replay', '--to', to, '--task', 'R', '--db', db], io)).toBe(EXIT.PARTIAL);
    expect(io.out()).toMatch(/delivered\s+4\nfailed\s+1/);
    io = captureIO({ cwd: dir });
    expect(await cli(['results', 'replay', '--to', to, '--task', 'R', '--json', '--db', db], io)).toBe(EXIT.OK);
    expect(JSON.parse(io.out())).toEqual({ delivered: 1, failed: 0 });
    expect(seen.sort()).toEqual(['o0', 'o1', 'o2', 'o3', 'o4']);
    io = captureIO({ cwd: dir });
    expect(await cli(['results', 'replay', '--to', 'ftp://x', '--db', db], io)).toBe(EXIT.USAGE);
  });

  it('reconciles a task against the API through the client', async () => {
    const { dir, db } = tmp();
    const emu = await startTestEmulator({ robotCount: 4 });
    cleanups.push(() => emu.close());
    const api = new Raw(emu);
    await api.login('cli-key', 'cli-secret-value-0123');
    const { taskId } = await api.createTask({
      taskName: 'reconcile me', templateId: '0c565ba214064f82a7071b25030f78a7', robotNum: 4, taskCronList: [{ begin: '09:00', end: '20:00' }],
      aniList: ['01052226451'], timeType: 2, startTime: T0, endTime: T0 + 86_400_000, pushFlag: 0,
    });
    await api.addContacts(taskId, contacts(30, 'k'));
    await emu.advance(10 * 3_600_000);
    await api.login('cli-key', 'cli-secret-value-0123');
    const calls = await api.results(taskId);
    expect(calls.length).toBeGreaterThan(0);

    let io = captureIO({ cwd: dir, env: envFor(emu) });
    expect(await cli(['results', 'reconcile', '--task', taskId, '--db', db, '--json'], io)).toBe(EXIT.OK);
    expect(JSON.parse(io.out())).toMatchObject({ taskId, apiRecords: calls.length, backfilled: calls.length, alreadyStored: 0 });
    io = captureIO({ cwd: dir, env: envFor(emu) });
    expect(await cli(['results', 'reconcile', '--task', taskId, '--db', db], io)).toBe(EXIT.OK);
    expect(io.out()).toMatch(/backfilled\s+0/);
    expect(io.out() + io.err()).not.toContain('cli-secret-value-0123');
    io = captureIO({ cwd: dir });
    expect(await cli(['results', 'list', '--task', taskId, '--limit', '1000', '--json', '--db', db], io)).toBe(EXIT.OK);
    const listed = JSON.parse(io.out()) as Array<{ source: string; callId: string }>;
    expect(listed).toHaveLength(calls.length);
    expect(listed.every((e) => e.source === 'reconcile')).toBe(true);
    io = captureIO({ cwd: dir, env: envFor(emu) });
    expect(await cli(['results', 'reconcile', '--task', taskId, '--contacts', 'maybe', '--db', db], io)).toBe(EXIT.USAGE);
  });
});



describe('zhichi results on a missing store', () => {
  it('refuses to read a store file that does not exist instead of creating an empty one', async () => {
    const { dir } = tmp();
    const { existsSync } = await import('node:fs');
    const io = captureIO({ cwd: dir });
    expect(await cli(['results', 'list', '--db', 'typo.db'], io)).toBe(EXIT.USAGE);
    expect(io.err()).toMatch(/no event store at .*typo\.db/);
    expect(existsSync(join(dir, 'typo.db'))).toBe(false);
  });
});
