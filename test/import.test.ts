import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddContactsResult, Contact } from '../src/contract/index.js';
import { ZhichiAbortError, ZhichiBusinessError, ZhichiConnectionError } from '../src/errors.js';
import {
  defaultCheckpointPath, FingerprintSet, ImportFailedError, ImportFileError, importContacts, openRows, readCheckpoint, type ContactSink, type ImportSummary,
} from '../src/import/index.js';
import { tempDir } from './cli-helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('zhichi-import-');
});
afterAll(() => tmp.cleanup());

/** A server double that deduplicates by outId like the API, and counts what it got. */
class FakeServer implements ContactSink {
  readonly stored = new Map<string, Contact>();
  requests = 0;
  /** Called before each request is answered; may throw or wait. */
  hook: ((n: number, contacts: Contact[], signal: AbortSignal | undefined) => Promise<void> | void) | undefined;
  refuse: ((c: Contact) => string | undefined) | undefined;
  readonly contacts = {
    add: async (_taskId: string, contacts: Contact[], opts?: { signal?: AbortSignal }): Promise<AddContactsResult> => {
      const n = ++this.requests;
      await this.hook?.(n, contacts, opts?.signal);
      let successCount = 0;
      let duplicateCount = 0;
      const failList: Array<{ outId: string; telephone: string; reason: string }> = [];
      for (const c of contacts) {
        const why = this.refuse?.(c);
        if (why) failList.push({ outId: String(c.outId), telephone: String(c.telephone), reason: why });
        else if (this.stored.has(String(c.outId))) duplicateCount++;
        else {
          this.stored.set(String(c.outId), c);
          successCount++;
        }
      }
      return { successCount, duplicateCount, failCount: failList.length, failList };
    },
  };
}

/** Writes a CSV of `rows` contacts where every `badEvery`-th row has a bad phone; returns the bad lines. */
function writeCsv(name: string, rows: number, badEvery = 100): { file: string; badLines: number[]; valid: number } {
  const file = join(tmp.dir, name);
  let body = 'outId,telephone,name\n';
  const badLines: number[] = [];
  for (let i = 1; i <= rows; i++) {
    const bad = i % badEvery === 0;
    if (bad) badLines.push(i + 1);
    body += `r${i},${bad ? '1234' : String(13_000_000_000 + i)},n${i}\n`;
  }
  writeFileSync(file, body);
  return { file, badLines, valid: rows - badLines.length };
}

function rejectLines(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
}

describe('importContacts: chunks, checkpoint, resume', () => {
  it('checkpoints the highest contiguous acknowledged row when chunks finish out of order, and resumes from it', async () => {
    const { file, badLines, valid } = writeCsv('ooo.csv', 10_000);
    const server = new FakeServer();
    const ac = new AbortController();
    // Request 3 hangs until the abort; the others are answered at once, so they finish before it.
    server.hook = async (n, _c, signal) => {
      if (n === 10) ac.abort();
      if (n === 3) {
        await new Promise<void>((_, reject) => {
          if (signal?.aborted) reject(new ZhichiAbortError('aborted'));
          signal?.addEventListener('abort', () => reject(new ZhichiAbortError('aborted')), { once: true });
        });
      }
    };
    const first = await importContacts({ client: server, taskId: 't', file, chunkSize: 500, concurrency: 4, signal: ac.signal });
    expect(first.interrupted).toBe(true);
    const cp = (await readCheckpoint(defaultCheckpointPath(file, 't')))!;
    expect(cp.complete).toBe(false);
    // Chunks 1 and 2 (the first 1000 valid rows) are contiguous; chunk 3 never finished.
    // The 1000th valid row is r1010 (r100…r1000 are bad), on line 1011.
    expect(cp.lastLine).toBe(1011);
    expect(cp.counts.valid).toBe(1000);
    expect(cp.counts.rejected).toBe(10);
    expect(server.stored.size).toBeGreaterThan(1000); // later chunks were stored too, but not checkpointed
    // The reject file lists exactly the bad rows the checkpoint covers.
    expect(rejectLines(`${file}.rejects.csv`)).toEqual(badLines.filter((l) => l <= cp.lastLine));

    server.hook = undefined;
    const second = await importContacts({ client: server, taskId: 't', file, chunkSize: 500, concurrency: 4 });
    expect(second).toMatchObject({ interrupted: false, resumedFrom: cp.rowsDone, skipped: cp.rowsDone, rows: 10_000, valid, rejected: 100 });
    expect(second.sent).toBe(valid - 1000);
    expect(second.added + second.duplicates).toBe(valid - 1000);
    expect(server.stored.size).toBe(valid);
    expect(rejectLines(`${file}.rejects.csv`)).toEqual(badLines);
    const done = (await readCheckpoint(defaultCheckpointPath(file, 't')))!;
    expect(done).toMatchObject({ complete: true, rowsDone: 10_000, counts: { valid, rejected: 100 } });
    // Rows run 1 stored past its checkpoint came back as duplicates in run 2: each counted once.
    expect(done.counts.added + done.counts.duplicates).toBe(valid);

    const third = await importContacts({ client: server, taskId: 't', file });
    expect(third).toMatchObject({ alreadyComplete: true, sent: 0, valid, rejected: 100 });
    expect(server.requests).toBe(second.requests + first.requests + 0);
  });

  it('bounds the finished-but-unfinalised chunks behind a stalled one, then finishes once it is answered', async () => {
    const { file, valid } = writeCsv('stall.csv', 2000, 7); // many bad rows: finalising writes rejects
    const server = new FakeServer();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let maxBeforeRelease = 0;
    let isReleased = false;
    server.hook = async (n) => {
      if (!isReleased) maxBeforeRelease = Math.max(maxBeforeRelease, n);
      if (n === 1) await released;
      // With 2 in flight the window is 32 chunks from the oldest unfinished one (the one being filled
      // counts): the 31st request is the last one sent before the stall clears.
      if (n === 31) setTimeout(() => {
        isReleased = true;
        release();
      }, 50);
    };
    const s = await importContacts({ client: server, taskId: 't', file, chunkSize: 10, concurrency: 2, checkpointFile: false });
    expect(maxBeforeRelease).toBe(31);
    expect(server.stored.size).toBe(valid);
    expect(s.requests).toBe(Math.ceil(valid / 10));
    expect(rejectLines(`${file}.rejects.csv`)).toEqual([...rejectLines(`${file}.rejects.csv`)].sort((a, b) => a - b));
  });

  it('retries transient failures of a chunk, including a lost answer, and adds each row once', async () => {
    const { file, valid } = writeCsv('retry.csv', 3000, 1000);
    const server = new FakeServer();
    let failures = 0;
    server.hook = (n, contacts) => {
      if (n === 2 || n === 3) {
        failures++;
        throw new ZhichiConnectionError('connection reset');
      }
      if (n === 5) {
        // The server stored the chunk but the answer was lost.
        for (const c of contacts) server.stored.set(String(c.outId), c);
        failures++;
        throw new ZhichiConnectionError('socket hang up');
      }
    };
    const s = await importContacts({ client: server, taskId: 't', file, chunkSize: 1000, concurrency: 1, retryDelayMs: 0, checkpointFile: false });
    expect(failures).toBe(3);
    expect(s.retries).toBe(3);
    expect(s.requests).toBe(3);
    expect(server.stored.size).toBe(valid);
    expect(s.added + s.duplicates).toBe(valid);
    // Only the chunk whose answer was lost (rows r2003…r2999, the third thousand valid rows) came back as duplicates.
    expect(s.duplicates).toBe(valid - 2000);
  });

  it('stops on an error it must not retry, keeps the checkpoint, and a rerun finishes the job', async () => {
    const { file, valid } = writeCsv('fatal.csv', 5000, 50);
    const server = new FakeServer();
    server.hook = (n) => {
      if (n === 3) throw new ZhichiBusinessError(404, 'task not found', { code: 404 });
    };
    const err = await importContacts({ client: server, taskId: 't', file, chunkSize: 1000, concurrency: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFailedError);
    const f = err as ImportFailedError;
    expect(f.cause).toBeInstanceOf(ZhichiBusinessError);
    expect(f.message).toMatch(/import stopped after \d+ of the file's rows were done \(line \d+\): business error 404: task not found/);
    expect(f.summary.interrupted).toBe(false);
    const cp = (await readCheckpoint(defaultCheckpointPath(file, 't')))!;
    expect(cp.counts.valid).toBe(2000);
    server.hook = undefined;
    const s = await importContacts({ client: server, taskId: 't', file, chunkSize: 1000, concurrency: 1 });
    expect(s.resumedFrom).toBe(cp.rowsDone);
    expect(server.stored.size).toBe(valid);
  });

  it('lists the rows the server refuses in the reject file, with their lines', async () => {
    const file = join(tmp.dir, 'refused.csv');
    writeFileSync(file, 'outId,telephone\na,13800000001\nb,13800000002\nc,13800000003\n');
    const server = new FakeServer();
    server.refuse = (c) => (c.outId === 'b' ? 'number on the blacklist' : undefined);
    const s = await importContacts({ client: server, taskId: 't', file });
    expect(s).toMatchObject({ added: 2, serverRejected: 1, rejected: 0 });
    expect(readFileSync(`${file}.rejects.csv`, 'utf8')).toBe('line,reason,outId,telephone\n3,refused by the server: number on the blacklist,b,13800000002\n');
  });

  it('ignores a checkpoint made for another task or an older version of the file', async () => {
    const { file, valid } = writeCsv('changed.csv', 1200, 1000);
    const server = new FakeServer();
    // The default checkpoint is per task (issue 12 #7); one given explicitly is checked against the task.
    const checkpointFile = `${file}.shared-checkpoint.json`;
    await importContacts({ client: server, taskId: 't1', file, checkpointFile });
    const notices: string[] = [];
    const other = await importContacts({ client: server, taskId: 't2', file, checkpointFile, onNotice: (m) => notices.push(m) });
    expect(notices.join('\n')).toMatch(/ignored \(it is for task t1\)/);
    expect(other.sent).toBe(valid);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    notices.length = 0;
    const changed = await importContacts({ client: server, taskId: 't2', file, checkpointFile, onNotice: (m) => notices.push(m) });
    expect(notices.join('\n')).toMatch(/ignored \(the file changed since\)/);
    expect(changed.sent).toBe(valid);
  });

  it('reports progress with rows/s and an ETA from the bytes read', async () => {
    const { file } = writeCsv('progress.csv', 20_000, 10_000);
    const seen: number[] = [];
    let t = 0;
    // A fake clock: 1 ms per call, so rates and ETA are defined.
    const s = await importContacts({
      client: new FakeServer(), taskId: 't', file, checkpointFile: false, progressIntervalMs: 0, now: () => (t += 1),
      onProgress: (p) => {
        seen.push(p.rowsRead);
        if (p.done) {
          expect(p).toMatchObject({ rowsRead: 20_000, valid: 19_998, rejected: 2, acknowledged: 19_998, bytesRead: p.totalBytes, etaMs: 0 });
        } else {
          expect(p.rowsPerSec).toBeGreaterThan(0);
        }
      },
    });
    expect(seen.length).toBeGreaterThan(5);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(s.rowsPerSec).toBeGreaterThan(0);
  });

  it('validates its options before reading', async () => {
    const { file } = writeCsv('opts.csv', 10);
    await expect(importContacts({ client: new FakeServer(), taskId: 't', file, chunkSize: 1001 })).rejects.toThrow(/chunk size must be an integer from 1 to 1000/);
    await expect(importContacts({ client: new FakeServer(), taskId: 't', file, concurrency: 0 })).rejects.toThrow(/concurrency must be an integer from 1 to 64/);
    await expect(importContacts({ client: new FakeServer(), taskId: '', file })).rejects.toThrow(ImportFileError);
  });
});

describe('importContacts: rows and columns', () => {
  async function importText(name: string, text: string | Buffer, extra: Record<string, unknown> = {}): Promise<{ s: ImportSummary; server: FakeServer; rejects: string }> {
    const file = join(tmp.dir, name);
    writeFileSync(file, text);
    const server = new FakeServer();
    const s = await importContacts({ client: server, taskId: 't', file, checkpointFile: false, ...extra });
    const rejects = existsSync(`${file}.rejects.csv`) ? readFileSync(`${file}.rejects.csv`, 'utf8') : '';
    return { s, server, rejects };
  }

  it('reads quoted fields, embedded newlines, a BOM and CRLF, reporting the right lines', async () => {
    const { s, server, rejects } = await importText(
      'quoted.csv',
      '\uFEFFoutId,telephone,note\r\n' + 'a,13800000001,"multi\r\nline, with comma"\r\n' + 'b,"138 0000 0002","say ""hi"""\r\n' + 'c,999,x\r\n',
    );
    expect(s).toMatchObject({ rows: 3, valid: 2, rejected: 1 });
    expect(server.stored.get('a')).toMatchObject({ telephone: '13800000001', note: 'multi\nline, with comma' });
    expect(server.stored.get('b')).toMatchObject({ telephone: '13800000002', note: 'say "hi"' });
    expect(rejects.split('\n')[1]).toMatch(/^5,/); // line 5: the record after the two-line one
  });

  it('keeps reading after an unterminated quote is reported, and after rows with the wrong field count', async () => {
    const { s, rejects } = await importText('broken.csv', 'outId,telephone\na,13800000001\nb,13800000002,extra\nc,"13800000003\nd,13800000004\n');
    // The open quote swallows the rest of the file: one reject covering lines 4–5.
    expect(s).toMatchObject({ rows: 3, valid: 1, rejected: 2 });
    const lines = rejects.trim().split('\n').slice(1);
    expect(lines[0]).toBe('3,"has 3 fields, the header has 2",,');
    expect(lines[1]).toMatch(/^4,unterminated quote: lines 4–\d could not be read as CSV,,$/);
  });

  it('decodes GBK files with --encoding and reads TSV', async () => {
    const gbk = Buffer.from([
      ...Buffer.from('outId,telephone,name\nk1,13800000001,'), 0xd5, 0xc5, 0xc8, 0xfd, // 张三 in GBK
      ...Buffer.from('\n'),
    ]);
    const { server } = await importText('gbk.csv', gbk, { encoding: 'gbk' });
    expect(server.stored.get('k1')).toMatchObject({ name: '张三' });
    await expect(importText('gbk2.csv', gbk, { encoding: 'klingon' })).rejects.toThrow(/encoding "klingon" is not supported/);
    const tsv = await importText('tabs.tsv', 'outId\ttelephone\tcity\nt1\t010-5222 6451\t北京\n');
    expect(tsv.server.stored.get('t1')).toMatchObject({ telephone: '01052226451', city: '北京' });
  });

  it('rejects a later row with a duplicate outId, and keeps an outId whose first row was bad', async () => {
    const { s, server, rejects } = await importText('dups.csv', 'outId,telephone\nx,123\nx,13800000001\ny,13800000002\ny,13800000003\n');
    expect(s).toMatchObject({ valid: 2, rejected: 2 });
    expect(server.stored.get('x')!.telephone).toBe('13800000001');
    expect(server.stored.get('y')!.telephone).toBe('13800000002');
    expect(rejects).toContain('5,"outId ""y"" repeats line 4 (duplicate outId in the file)",y,13800000003');
  });

  it('maps JSONL keys, reports bad JSON lines and non-objects', async () => {
    const { s, server, rejects } = await importText('rows.jsonl', '{"out_id":1,"phone":"+8613800000001","tags":["a"]}\n[1,2]\n{bad\n{"out_id":"2","phone":"13800000002"}\n');
    expect(s).toMatchObject({ rows: 4, valid: 2, rejected: 2, mapping: { phoneColumn: 'phone', outIdColumn: 'out_id' } });
    expect(server.stored.get('1')).toMatchObject({ telephone: '13800000001', tags: ['a'] });
    expect(rejects).toMatch(/^2,must be a JSON object/m);
    expect(rejects).toMatch(/^3,not valid JSON \(/m);
  });

  it('reads the chosen XLSX worksheet with numeric and rich-text cells', async () => {
    const ExcelJS = (await import('exceljs')).default;
    const file = join(tmp.dir, 'book.xlsx');
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('first').addRow(['nothing']);
    const ws = wb.addWorksheet('客户');
    ws.addRow(['outId', 'mobile', 'vip']);
    ws.addRow(['a1', 13800000001, true]);
    ws.addRow(['a2', { richText: [{ text: '1380000' }, { text: '0002' }] }, false]);
    ws.addRow([]);
    ws.addRow(['a3', 'nope', false]);
    await wb.xlsx.writeFile(file);
    const server = new FakeServer();
    const s = await importContacts({ client: server, taskId: 't', file, sheet: '客户', checkpointFile: false });
    expect(s).toMatchObject({ rows: 3, valid: 2, rejected: 1 });
    expect(server.stored.get('a2')).toMatchObject({ telephone: '13800000002', vip: false });
    // Row 4 is empty (skipped), row 5 holds a3.
    expect(readFileSync(`${file}.rejects.csv`, 'utf8')).toMatch(/^5,mobile must contain only digits/m);
    const byIndex = await importContacts({ client: new FakeServer(), taskId: 't', file, sheet: 2, checkpointFile: false, rejectsFile: join(tmp.dir, 'r2.csv') });
    expect(byIndex.valid).toBe(2);
    await expect(importContacts({ client: new FakeServer(), taskId: 't', file, sheet: 'missing' })).rejects.toThrow(/no worksheet "missing"/);
    await expect(importContacts({ client: new FakeServer(), taskId: 't', file })).rejects.toThrow(/no phone column found/);
  });

  it('streams: the row source reads the file in pieces', async () => {
    const { file } = writeCsv('stream.csv', 50_000, 100_000);
    const src = await openRows(file);
    let n = 0;
    let partialSeen = false;
    for await (const r of src.rows) {
      n++;
      if (n === 10 && src.bytesRead() < src.totalBytes) partialSeen = true;
      void r;
    }
    expect(n).toBe(50_000);
    expect(partialSeen).toBe(true);
  });
});

describe('FingerprintSet', () => {
  it('agrees with a Set of strings and remembers the first line', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 400 }), (keys) => {
        const fp = new FingerprintSet(4);
        const first = new Map<string, number>();
        keys.forEach((k, i) => {
          const line = i + 2;
          const got = fp.addOrGet(k, line);
          if (first.has(k)) expect(got).toBe(first.get(k));
          else {
            expect(got).toBe(0);
            first.set(k, line);
          }
        });
        expect(fp.size).toBe(first.size);
      }),
    );
  });

  it('tells a million similar ids apart', () => {
    const fp = new FingerprintSet();
    let clashes = 0;
    for (let i = 0; i < 1_000_000; i++) if (fp.addOrGet(`order-${i}`, i + 2) !== 0) clashes++;
    expect(clashes).toBe(0);
    expect(fp.size).toBe(1_000_000);
    expect(fp.addOrGet('order-123456', 9)).toBe(123_458);
  });
});

describe('CSV batches and rows', () => {
  it('give the same rows, lines and errors for a tricky file larger than one 16 KiB read', async () => {
    // Quoted fields with commas, newlines and quotes inside, CRLF endings, a short row, a BOM, blank lines.
    const lines = ['\uFEFFoutId,telephone,note'];
    for (let i = 1; i <= 3000; i++) {
      if (i % 97 === 0) lines.push(`short-${i}`);
      else if (i % 89 === 0) lines.push('');
      else if (i % 7 === 0) lines.push(`o${i},1380013${String(i).padStart(4, '0')},"multi\nline, ""quoted"" ${i}"`);
      else lines.push(`o${i},+86 138 0013 ${String(i).padStart(4, '0')},plain ${i}`);
    }
    const file = join(tmp.dir, 'tricky.csv');
    writeFileSync(file, lines.join('\r\n') + '\r\n');
    const viaRows: unknown[] = [];
    const a = await openRows(file);
    for await (const r of a.rows) viaRows.push(r);
    a.close();
    const viaBatches: unknown[] = [];
    const b = await openRows(file);
    let batches = 0;
    for await (const batch of b.batches) {
      batches++;
      viaBatches.push(...batch);
    }
    b.close();
    expect(batches).toBeGreaterThan(1);
    expect(viaBatches).toEqual(viaRows);
    expect(viaRows.length).toBeGreaterThan(2900);
    // The line numbers are the file's lines: a multi-line record moves the next one down.
    const seventh = viaRows.find((r) => (r as { record?: { outId?: string } }).record?.outId === 'o8') as { line: number };
    expect(seventh.line).toBe(10); // header line 1, o1..o6 on lines 2-7, o7 spans lines 8-9
  });
});
