// The first TypeScript example of README.md (and of README.zh-CN.md) runs as written against the
// emulator, so the docs cannot rot.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
let emu: Awaited<ReturnType<typeof startEmulator>>;
let dir: string;

beforeAll(async () => {
  emu = await startEmulator({ apiKey: 'readme-key', apiSecret: 'readme-secret', companyId: 'readme-co', env: {} });
  dir = mkdtempSync(path.join(tmpdir(), 'zhichi-readme-'));
});
afterAll(async () => {
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

function firstTsBlock(file: string): string {
  const md = readFileSync(path.join(root, file), 'utf8');
  const m = /```ts\n([\s\S]*?)```/.exec(md);
  if (!m) throw new Error(`${file} has no ts example`);
  return m[1]!;
}

describe('README examples', () => {
  for (const file of ['README.md', 'README.zh-CN.md']) {
    it(`${file}: the first example runs against the emulator`, async () => {
      const code = firstTsBlock(file).replaceAll("from 'zhichi-outbound'", `from '${path.join(root, 'src/index.ts')}'`);
      const f = path.join(dir, `${file}.mts`);
      writeFileSync(f, code);
      const { stdout } = await run(process.execPath, ['--import', 'tsx', f], {
        cwd: root,
        env: { ...process.env, ZHICHI_KEY: 'readme-key', ZHICHI_SECRET: 'readme-secret', ZHICHI_COMPANY_ID: 'readme-co', ZHICHI_BASE_URL: emu.url, ZHICHI_REDIS_URL: '' },
        timeout: 60_000,
      });
      expect(stdout).toMatch(/task [0-9a-f]{32}/);
      expect(stdout).toMatch(/robots \d+/);
    });
  }
});
