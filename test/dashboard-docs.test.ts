// The code sample of docs/dashboard.md (and of docs/dashboard.zh-CN.md) runs as written: it serves the
// dashboard on a store, answers the overview, and stops on SIGINT.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore } from '../src/push/store.js';
import { tempDir } from './cli-helpers.js';
import { TEST_NOW } from './helpers.js';

const root = resolve(import.meta.dirname, '..');
const tmp = tempDir('zhichi-dash-docs-');
const db = join(tmp.dir, 'events.db');

beforeAll(async () => {
  const store = await openEventStore(db);
  await store.insert([{
    key: 'd1', source: 'push', known: true, receivedAt: TEST_NOW, remoteAddress: null, contentType: null,
    fields: { taskId: 'docs-task', outId: 'o1', callResult: 1 }, raw: new TextEncoder().encode('{}'),
  }]);
  await store.close();
});
afterAll(() => tmp.cleanup());

describe('docs/dashboard examples', () => {
  for (const file of ['docs/dashboard.md', 'docs/dashboard.zh-CN.md']) {
    it(`${file}: the example serves the dashboard`, async () => {
      const md = readFileSync(join(root, file), 'utf8');
      const code = /```ts\n([\s\S]*?)```/.exec(md)![1]!.replaceAll("from 'zhichi-outbound/dashboard'", `from '${join(root, 'src/dashboard/index.ts')}'`);
      const f = join(tmp.dir, `${file.replace(/\W/g, '_')}.mts`);
      writeFileSync(f, code);
      const child = spawn(process.execPath, ['--import', 'tsx', f], { cwd: root, env: { ...process.env, ZHICHI_DB: db, PORT: '0' } });
      let out = '';
      const url = await new Promise<string>((res, rej) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /dashboard on (http:\/\/\S+)/.exec(out);
          if (m) res(m[1]!);
        });
        child.once('exit', (code) => rej(new Error(`example exited ${code} before printing its URL: ${out}`)));
      });
      const r = await request(`${url}api/overview`);
      const body = JSON.parse(await r.body.text()) as { tasks: Array<{ taskId: string; results: number }> };
      expect(body.tasks).toMatchObject([{ taskId: 'docs-task', results: 1 }]);
      const exited = new Promise<number | null>((r2) => child.once('exit', (c) => r2(c)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    });
  }
});
