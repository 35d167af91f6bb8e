// A 1,000,000-row CSV with 1 % bad rows, imported with `zhichi contacts import` into the emulator.
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../src/cli/io.js';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { envFor, quietTask, startTestEmulator, tempDir, zhichi } from './cli-helpers.js';

const ROWS = 1_000_000;

/** The four kinds of bad row, and the reason the reject file must give for each. */
const BAD_KINDS: Array<{ row: (i: number) => string; reason: RegExp }> = [
  { row: (i) => `m${i},1380013,bad phone`, reason: /^telephone must be a mainland mobile number/ },
  { row: () => `,13900000000,no outId`, reason: /^outId must be a non-empty string$/ },
  { row: (i) => `m${i - 1},13700000000,repeats the previous row`, reason: /^outId "m\d+" repeats line \d+ \(duplicate outId in the file\)$/ },
  { row: (i) => `m${i},13600000000`, reason: /^has 2 fields, the header has 3$/ },
];

let emu: EmulatorHandle;
let env: Record<string, string>;
let tmp: ReturnType<typeof tempDir>;
let file: string;
const badLines = new Map<number, RegExp>();

beforeAll(async () => {
  emu = await startTestEmulator();
  env = envFor(emu);
  tmp = tempDir('zhichi-million-');
  file = join(tmp.dir, 'million.csv');
  const out = createWriteStream(file);
  out.write('outId,telephone,note\n');
  let buf = '';
  for (let i = 1; i <= ROWS; i++) {
    if (i % 100 === 50) {
      const kind = BAD_KINDS[(i / 100) % 4 | 0]!;
      buf += kind.row(i) + '\n';
      badLines.set(i + 1, kind.reason);
    } else {
      buf += `m${i},1${3 + (i % 7)}${String(i).padStart(9, '0')},note ${i % 13}\n`;
    }
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  await new Promise<void>((r) => out.end(buf, () => r()));
}, 60_000);

afterAll(async () => {
  await emu.close();
  tmp.cleanup();
});

async function taskInfo(taskId: string): Promise<{ contactCount: number }> {
  const r = await zhichi(['tasks', 'get', '--task', taskId, '--json'], { env });
  return JSON.parse(r.out) as { contactCount: number };
}

const addRequests = () => ((emu.stats().requestsByEndpoint as Record<string, number>).addContacts ?? 0);

it('imports every valid row once, lists every bad row with its reason, and a rerun adds nothing', async () => {
  const taskFile = join(tmp.dir, 'task.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(taskFile, JSON.stringify(quietTask('million')));
  const taskId = (await zhichi(['tasks', 'create', '--file', taskFile], { env })).out.trim();
  const valid = ROWS - badLines.size;

  const first = await zhichi(['contacts', 'import', '--task', taskId, '--file', file, '--json'], { env });
  expect(first.code).toBe(EXIT.PARTIAL);
  const s = JSON.parse(first.out) as Record<string, number>;
  expect(s).toMatchObject({ rows: ROWS, valid, rejected: badLines.size, sent: valid, added: valid, duplicates: 0 });
  expect((await taskInfo(taskId)).contactCount).toBe(valid);
  const requestsAfterFirst = addRequests();
  expect(requestsAfterFirst).toBe(Math.ceil(valid / 1000));

  // Every bad row is in the reject file once, in line order, with the reason of its kind.
  const seen = new Set<number>();
  let header = true;
  for await (const l of createInterface({ input: createReadStream(`${file}.rejects.csv`), crlfDelay: Infinity })) {
    if (header) {
      expect(l).toBe('line,reason,outId,telephone');
      header = false;
      continue;
    }
    const m = /^(\d+),("(?:[^"]|"")*"|[^,]*),/.exec(l)!;
    const line = Number(m[1]);
    const reason = m[2]!.startsWith('"') ? m[2]!.slice(1, -1).replace(/""/g, '"') : m[2]!;
    expect(badLines.get(line), `line ${line} is not a bad row`).toBeDefined();
    expect(reason).toMatch(badLines.get(line)!);
    expect(seen.has(line)).toBe(false);
    seen.add(line);
  }
  expect(seen.size).toBe(badLines.size);

  // Spot checks through the API: a row near the end and the row a duplicate repeated.
  const last = await zhichi(['contacts', 'get', '--task', taskId, '--out-id', `m${ROWS}`, '--json'], { env });
  expect(JSON.parse(last.out)).toMatchObject({ telephone: `1${3 + (ROWS % 7)}${String(ROWS).padStart(9, '0')}`, variables: { note: `note ${ROWS % 13}` } });

  // Rerun: the checkpoint says the file is done; nothing is sent.
  const again = await zhichi(['contacts', 'import', '--task', taskId, '--file', file, '--json'], { env });
  expect(JSON.parse(again.out)).toMatchObject({ alreadyComplete: true, sent: 0, added: 0 });
  expect(addRequests()).toBe(requestsAfterFirst);

  // Rerun without the checkpoint: everything is sent again and the server adds nothing (outIds known).
  const restart = await zhichi(['contacts', 'import', '--task', taskId, '--file', file, '--restart', '--json'], { env });
  expect(JSON.parse(restart.out)).toMatchObject({ rows: ROWS, sent: valid, added: 0, duplicates: valid });
  expect((await taskInfo(taskId)).contactCount).toBe(valid);
}, 120_000);
