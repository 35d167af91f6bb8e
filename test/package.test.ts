// Smoke test of the built package: every entry point loads from both `import` and `require`
// through the exports map, with types, and the core client pulls no driver.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });

// dist/ is built from the current sources before the suite (test/global-setup.ts).

const entries: Array<[string, string[]]> = [
  ['zhichi-outbound', ['ZhichiClient', 'ZhichiFactory', 'ZhichiError', 'normalizePhone', 'MemoryTokenStore', 'RedisTokenStore', 'FileTokenStore']],
  ['zhichi-outbound/receiver', ['createPushReceiver', 'nodeHandler', 'openEventStore', 'reconcile']],
  ['zhichi-outbound/emulator', ['startEmulator']],
  ['zhichi-outbound/import', ['importContacts', 'openRows']],
  ['zhichi-outbound/agents', ['AgentsClient', 'agentsSignature', 'ZhichiAgentsAuthError']],
  ['zhichi-outbound/relay', ['createRelay', 'readRelayStatus', 'jobIdOf']],
  ['zhichi-outbound/dashboard', ['createDashboard', 'serveDashboard', 'openReadModel']],
];

describe('package entry points', () => {
  for (const [spec, names] of entries) {
    it(`require('${spec}')`, () => {
      const out = node(['-e', `const m = require(${JSON.stringify(spec)}); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])))`]);
      expect(JSON.parse(out)).toEqual(names.map(() => 'function'));
    });
    it(`import('${spec}')`, () => {
      const out = node(['--input-type=module', '-e', `const m = await import(${JSON.stringify(spec)}); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])))`]);
      expect(JSON.parse(out)).toEqual(names.map(() => 'function'));
    });
  }

  it('types come first in every exports condition, and the files exist', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    for (const [key, value] of Object.entries(pkg.exports)) {
      if (typeof value === 'string') continue;
      for (const cond of Object.values(value as Record<string, Record<string, string>>)) {
        expect(Object.keys(cond)[0], key).toBe('types');
        for (const f of Object.values(cond)) expect(existsSync(path.join(root, f)), f).toBe(true);
      }
    }
  });

  it('the core client loads no driver (ioredis, pg, better-sqlite3, exceljs)', () => {
    const out = node(['-e', `require('zhichi-outbound'); console.log(JSON.stringify(Object.keys(require.cache).filter((k) => /node_modules[\\\\/](ioredis|pg|better-sqlite3|exceljs)[\\\\/]/.test(k))))`]);
    expect(JSON.parse(out)).toEqual([]);
  });

  it('the relay entry loads no broker client or driver until a relay connects (nats, bullmq, amqplib, ioredis, pg, better-sqlite3)', () => {
    const out = node(['-e', `require('zhichi-outbound/relay'); console.log(JSON.stringify(Object.keys(require.cache).filter((k) => /node_modules[\\\\/](nats|bullmq|amqplib|ioredis|pg|better-sqlite3)[\\\\/]/.test(k))))`]);
    expect(JSON.parse(out)).toEqual([]);
  });

  // tsup's CJS output renames classes that have field initialisers (`_class2`); `keepNames` keeps
  // the real names, so logs and `util.inspect` say `ZhichiTimeoutError`, not `_class9 [ZhichiTimeoutError]`.
  for (const [label, load] of [
    ['require', `const m = require('zhichi-outbound'); const { inspect } = require('node:util');`],
    ['import', `const m = await import('zhichi-outbound'); const { inspect } = await import('node:util');`],
  ] as const) {
    it(`error classes keep their real names (${label})`, () => {
      const names = ['ZhichiError', 'ZhichiConnectionError', 'ZhichiTimeoutError', 'ZhichiAbortError', 'ZhichiTokenRateError'];
      const script = `${load} const out = ${JSON.stringify(names)}.map((n) => { const e = new m[n]('boom', {}); return [m[n].name, e.constructor.name, e.name, inspect(e).split('\\n')[0]]; }); console.log(JSON.stringify(out));`;
      const args = label === 'import' ? ['--input-type=module', '-e', script] : ['-e', script];
      const out = JSON.parse(node(args)) as string[][];
      expect(out).toEqual(names.map((n) => [n, n, n, `${n}: boom`]));
    });
  }

  it('the CLI binary answers --help', () => {
    const out = node([path.join(root, 'bin/zhichi.mjs'), '--help']);
    expect(out).toMatch(/zhichi/);
    expect(out).toMatch(/contacts/);
  });
});
