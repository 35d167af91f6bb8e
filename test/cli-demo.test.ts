// `zhichi demo` (what `npm start` runs): emulator + receiver + the seed's task + import + campaign, in process.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { EXIT } from '../src/cli/io.js';
import type { DemoSummary } from '../src/cli/commands/demo.js';
import { tempDir, zhichi } from './cli-helpers.js';

const tmp = tempDir('zhichi-demo-test-');
afterAll(() => tmp.cleanup());

it('runs the campaign to the end and every call is stored once despite duplicate and reordered pushes', async () => {
  const dir = join(tmp.dir, 'json');
  const r = await zhichi(['demo', '--contacts', '400', '--bad', '8', '--duplicate-rate', '0.2', '--reorder-rate', '0.2', '--dir', dir, '--json'], {
    env: { ZHICHI_KEY: 'ignored', ZHICHI_BASE_URL: 'http://127.0.0.1:9/' },
  });
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const s = JSON.parse(r.out) as DemoSummary;
  expect(s.taskStatus).toBe('FINISHED');
  expect(s.import).toMatchObject({ rows: 400, valid: 392, rejected: 8, added: 392 });
  expect(s.contacts).toBe(392);
  expect(s.dialed).toBe(392);
  expect(Object.values(s.outcomes).reduce((a, b) => a + b, 0)).toBe(s.calls);
  expect(s.calls).toBe(392 + s.redials);
  expect(s.redials).toBeGreaterThan(0);
  expect(s.answered).toBe(s.outcomes.ANSWERED ?? 0); // one redial at most, only for calls not connected
  expect(s.pushes.sent).toBe(s.calls);
  expect(s.pushes.duplicatesSent).toBeGreaterThan(0);
  expect(s.pushes.reordered).toBeGreaterThan(0);
  expect(s.pushes.stored).toBe(s.calls);
  expect(s.pushes.duplicatesDropped).toBeGreaterThanOrEqual(s.pushes.duplicatesSent);
  expect(s.consistent).toBe(true);
  expect(s.database).toBe(join(dir, 'events.db'));
  expect(existsSync(s.database)).toBe(true);
  expect(readFileSync(join(dir, 'contacts.csv'), 'utf8').split('\n')[0]).toBe('outId,telephone,name,product');
  expect(readFileSync(s.import.rejectsFile!, 'utf8').trim().split('\n')).toHaveLength(9);
  expect(s.virtualEnd).toBeGreaterThan(s.virtualStart);
}, 90_000);

it('prints live progress and a summary table', async () => {
  const r = await zhichi(['demo', '--contacts', '150', '--bad', '3', '--dir', join(tmp.dir, 'text')], { env: {} });
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^emulator {2}http:\/\/127\.0\.0\.1:\d+\/api\/6\.0\.0\//);
  expect(r.out).toMatch(/task {6}[0-9a-f]{32} {2}"测试任务添加情况2" \(the seed's example\)/);
  expect(r.out).toMatch(/contacts +147 imported \(3 bad rows rejected\)/);
  expect(r.out).toMatch(/stored +[\d,]+ events \([\d,]+ duplicates dropped\), one per call/);
  expect(r.out).toMatch(/outcome +calls +share\n/);
  expect(r.out).toMatch(/ANSWERED +\d+ +\d+\.\d%/);
  expect(r.out).not.toMatch(/secret=(?!\[REDACTED\])/);
  expect(r.err).toMatch(/campaign .* FINISHED +finished 147\/147/);
}, 90_000);

it('rejects bad demo flags with one line', async () => {
  const r = await zhichi(['demo', '--contacts', '5', '--bad', '10'], { env: {} });
  expect(r.code).toBe(EXIT.USAGE);
  expect(r.err).toBe('error: --bad must not exceed --contacts\n');
  const speed = await zhichi(['demo', '--speed', '0'], { env: {} });
  expect(speed.code).toBe(EXIT.USAGE);
  expect(speed.err).toMatch(/^error: --speed must be a number from 1 to 10000000 \(got "0"\)\n$/);
});
