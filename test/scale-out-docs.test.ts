// The samples of docs/scale-out.md and docs/scale-out.zh-CN.md run: the TypeScript example against a
// SQLite store and the real NATS, the shell lines against a fresh PostgreSQL schema (hosts replaced).
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { zhichi } from './cli-helpers.js';
import { BROKER_URLS, dropBroker, makeEvents, uniqueNames } from './fixtures/brokers.js';
import { freshStore, postgresAvailable, type TestStore } from './fixtures/push-stores.js';
import { SECRET } from './fixtures/push-http.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const CLI = fileURLToPath(new URL('./fixtures/zhichi-cli.ts', import.meta.url));
const DOCS = ['docs/scale-out.md', 'docs/scale-out.zh-CN.md'];

function blocks(file: string, lang: string): string[] {
  const md = readFileSync(path.join(root, file), 'utf8');
  return [...md.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

let ts: TestStore | undefined;
afterEach(async () => {
  await ts?.cleanup();
  ts = undefined;
});

describe.each(DOCS)('%s', (file) => {
  it('the TypeScript example publishes the stored events to JetStream', async () => {
    const [code] = blocks(file, 'ts');
    expect(code).toBeDefined();
    const n = uniqueNames();
    ts = await freshStore('sqlite');
    await ts.store.insert(makeEvents(5));
    const f = `${ts.location}.mts`;
    writeFileSync(f, code!
      .replaceAll("from 'zhichi-outbound/relay'", `from '${path.join(root, 'src/relay/index.ts')}'`)
      .replaceAll("'ZHICHI_RESULTS'", `'${n.stream}'`)
      .replaceAll("'zhichi.results'", `'${n.prefix}'`)
      .replaceAll('nats://127.0.0.1:4222', BROKER_URLS.nats));
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', f], { cwd: root, env: { ...process.env, ZHICHI_DB: ts.location }, timeout: 60_000 });
      expect(stdout).toMatch(/published 5\n/);
      expect(stdout).toMatch(/errors: 0/);
    } finally {
      await dropBroker('nats', n);
    }
  }, 90_000);

  it('the shell lines run (receiver, relay, --status) on PostgreSQL', async (ctx) => {
    if (!(await postgresAvailable())) ctx.skip();
    ts = await freshStore('postgres');
    const n = uniqueNames();
    const lines = blocks(file, 'sh')[0]!.split('\n').filter((l) => l.startsWith('zhichi '));
    expect(lines.length).toBe(3);
    try {
      for (const line of lines) {
        const argv = line.replace(/^zhichi /, '').replace(/"postgres:\/\/app@db\/zhichi\?schema=outbound"/, JSON.stringify(ts.location))
          .replace('nats://nats:4222', BROKER_URLS.nats).match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''));
        if (argv.includes('--status')) {
          const r = await zhichi(argv);
          expect(r.code, r.err).toBe(0);
          expect(r.out).toMatch(/published\s+0/);
          continue;
        }
        const extra = argv[0] === 'webhooks' ? ['--port', '0'] : ['--stream', n.stream, '--subject-prefix', n.prefix];
        const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...argv, ...extra], { env: { ...process.env, ZHICHI_PUSH_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
        const ready = argv[0] === 'webhooks' ? /instance r1/ : /relay "default" .* leads/;
        await Promise.race([
          new Promise<void>((r) => child.stdout!.on('data', () => ready.test(out) && r())),
          new Promise<void>((r) => child.stderr!.on('data', () => ready.test(out) && r())),
          exited.then((c) => {
            throw new Error(`${line} exited (${c}): ${out}`);
          }),
        ]);
        child.kill('SIGTERM');
        expect(await exited, out).toBe(0);
      }
    } finally {
      await dropBroker('nats', n);
    }
  }, 90_000);
});
