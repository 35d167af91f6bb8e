// Every TypeScript sample of docs/agents.md and docs/agents.zh-CN.md runs as written against the
// emulator's Agents surface, so the docs cannot rot.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const CREDS = { appKey: 'docs-app-key', appSecret: 'docs-app-secret', tenantSign: 'docs-tenant' };
let emu: EmulatorHandle;
let dir: string;

beforeAll(async () => {
  // Real clock: the samples sign with the system clock.
  emu = await startEmulator({ env: {}, agents: CREDS });
  dir = mkdtempSync(path.join(tmpdir(), 'zhichi-agents-docs-'));
});
afterAll(async () => {
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

function tsBlocks(file: string): string[] {
  const md = readFileSync(path.join(root, file), 'utf8');
  return [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const EXPECT = [/^task \d+, batch [0-9a-f]{32}, customers 2$/m, /^success$/m];

describe('docs/agents samples', () => {
  for (const file of ['docs/agents.md', 'docs/agents.zh-CN.md']) {
    it(`${file}: both samples run`, async () => {
      const blocks = tsBlocks(file);
      expect(blocks).toHaveLength(2);
      for (const [i, block] of blocks.entries()) {
        const code = block
          .replaceAll("from 'zhichi-outbound/agents'", `from '${path.join(root, 'src/agents/index.ts')}'`)
          .replaceAll("from 'zhichi-outbound/receiver'", `from '${path.join(root, 'src/push/index.ts')}'`);
        const f = path.join(dir, `${path.basename(file)}.${i}.mts`);
        writeFileSync(f, code);
        const { stdout } = await run(process.execPath, ['--import', 'tsx', f], {
          cwd: root,
          env: {
            ...process.env, ZHICHI_AGENTS_APP_KEY: CREDS.appKey, ZHICHI_AGENTS_APP_SECRET: CREDS.appSecret, ZHICHI_AGENTS_TENANT_SIGN: CREDS.tenantSign,
            ZHICHI_AGENTS_BASE_URL: emu.agentsUrl, PUSH_SECRET: 'docs-push-secret-0123456789',
          },
          timeout: 60_000,
        });
        expect(stdout).toMatch(EXPECT[i]!);
      }
    }, 120_000);
  }
});
