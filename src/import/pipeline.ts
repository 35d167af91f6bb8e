import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import { MAX_CONTACTS_PER_REQUEST, type AddContactsResult, type Contact, type ValidContact } from '../contract/index.js';
import { createHash } from 'node:crypto';
import { BUSINESS_CODE } from '../contract/index.js';
import { ZhichiAgentsNotFoundError, ZhichiBusinessError, ZhichiError } from '../errors.js';
import { isRetryableError } from '../internal/core.js';
import { checkpointMismatch, readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { ImportFileError } from './errors.js';
import { FingerprintSet } from './fingerprints.js';
import { mapRow, resolveMapping, type ColumnMapping } from './mapping.js';
import { RejectWriter, type RejectedRow } from './rejects.js';
import { openRows, type ImportFormat } from './sources.js';
import { abortableDelay } from '../internal/delay.js';

/** What the import needs of a client: `ZhichiClient` fits, and so does any test double. */
export interface ContactSink {
  contacts: {
    add(taskId: string, contacts: Contact[], opts?: { signal?: AbortSignal }): Promise<AddContactsResult>;
  };
}

/** Options of {@link importContacts}. */
export interface ImportOptions {
  /** Where contacts are sent (a `ZhichiClient`). */
  client: ContactSink;
  taskId: string;
  /** A .csv, .tsv, .xlsx or .jsonl file. */
  file: string;
  /** Overrides the format picked from the extension. */
  format?: ImportFormat | undefined;
  /** Column with the phone number. @default the first of telephone, phone, mobile, tel, phoneNumber, 手机号, 手机, 电话 */
  phoneColumn?: string | undefined;
  /** Column with your outId. @default the first of outId, out_id, outid, OutId, 编号 */
  outIdColumn?: string | undefined;
  /** Text encoding of CSV/JSONL. @default "utf-8" */
  encoding?: string | undefined;
  /** CSV delimiter. @default "," (tab for .tsv) */
  delimiter?: string | undefined;
  /** XLSX worksheet name or 1-based position. @default 1 */
  sheet?: string | number | undefined;
  /** Reject file. @default `<file>.rejects.csv` */
  rejectsFile?: string | undefined;
  /**
   * Prefix reject-file cells a spreadsheet would run as formulas (`=`, `+`, `-`, `@`, TAB, CR first)
   * with `'` (OWASP CSV injection). @default true
   */
  neutralizeFormulas?: boolean | undefined;
  /**
   * Checkpoint file, or false for none. One per file AND task: importing the same file into another
   * task (by mistake or on purpose) never touches the first task's progress.
   * @default {@link defaultCheckpointPath}: `<file>.<taskId>.checkpoint.json`
   */
  checkpointFile?: string | false | undefined;
  /** Ignore an existing checkpoint and start from the first row. @default false */
  restart?: boolean | undefined;
  /** Contacts per request, at most MAX_CONTACTS_PER_REQUEST. @default 1000 */
  chunkSize?: number | undefined;
  /** Requests in flight. @default 4 */
  concurrency?: number | undefined;
  /** Attempts of one chunk after its first failure (on connection errors, timeouts, 408/429/5xx). @default 5 */
  chunkRetries?: number | undefined;
  /** First retry delay of a chunk, ms (doubles, capped at 10 s). @default 500 */
  retryDelayMs?: number | undefined;
  /** Stops the import: in-flight requests are aborted, the checkpoint is saved. */
  signal?: AbortSignal | undefined;
  /**
   * Variables of the task's script template (`{name}`, `{dueDate}`…). Those no column of the file
   * provides are named in one notice before anything is sent: those calls would go out without them.
   */
  templateVariables?: readonly string[] | undefined;
  /** Called with progress at most every `progressIntervalMs`, and once at the end. */
  onProgress?: ((p: ImportProgress) => void) | undefined;
  /** @default 250 */
  progressIntervalMs?: number | undefined;
  /** Called with notices for the user (checkpoint ignored or resumed...). */
  onNotice?: ((message: string) => void) | undefined;
  /** Clock for rates and throttling. @default Date.now */
  now?: (() => number) | undefined;
}

/** Progress of a running import. */
export interface ImportProgress {
  /** Data rows read so far (including the ones skipped thanks to the checkpoint). */
  rowsRead: number;
  valid: number;
  rejected: number;
  /** Contacts acknowledged by the server in this run. */
  acknowledged: number;
  /** Data rows done from the start of the file (what the checkpoint records). */
  rowsDone: number;
  bytesRead: number;
  totalBytes: number;
  elapsedMs: number;
  /** Rows read per second. */
  rowsPerSec: number;
  /** Estimated time left from the bytes still to read, ms; undefined at first. */
  etaMs: number | undefined;
  done: boolean;
}

/** Outcome of {@link importContacts}. */
export interface ImportSummary {
  file: string;
  format: ImportFormat;
  taskId: string;
  mapping: ColumnMapping | undefined;
  /** Data rows in the file (valid and rejected). */
  rows: number;
  /** Rows that are valid contacts. */
  valid: number;
  /** Rows rejected locally (bad phone, missing outId, duplicate outId in the file, unreadable row). */
  rejected: number;
  /** Contacts sent in this run. */
  sent: number;
  /** Contacts the server added in this run. */
  added: number;
  /** Contacts the server already had (a rerun, or a retried request) in this run. */
  duplicates: number;
  /** Contacts the server refused in this run (listed in the reject file too). */
  serverRejected: number;
  /** Rows not sent because the checkpoint said they were done. */
  skipped: number;
  /** Requests sent (chunks), retries not counted. */
  requests: number;
  /** Chunk attempts repeated after a transient failure. */
  retries: number;
  elapsedMs: number;
  rowsPerSec: number;
  /** The reject file, when some row was rejected. */
  rejectsFile: string | undefined;
  checkpointFile: string | undefined;
  /** The checkpoint this run started from (rows done before), if any. */
  resumedFrom: number | undefined;
  /** True when a previous run had already finished this file: nothing was read or sent. */
  alreadyComplete: boolean;
  /** True when stopped by the signal; rerun to resume. */
  interrupted: boolean;
}

/**
 * The default checkpoint of importing `file` into `taskId`: `<file>.<taskId>.checkpoint.json`. A task id
 * with characters unsafe in a file name has them replaced, plus a short hash of the id (so two such ids
 * never share a checkpoint).
 */
export function defaultCheckpointPath(file: string, taskId: string): string {
  const safe = taskId.replace(/[^A-Za-z0-9_-]/g, '_');
  const tag = safe === taskId ? taskId : `${safe}-${createHash('sha256').update(taskId).digest('hex').slice(0, 8)}`;
  return `${file}.${tag}.checkpoint.json`;
}

/** True when an error says the task does not exist (V5 code 404, Agents 404). */
function isTaskMissing(err: unknown): boolean {
  return err instanceof ZhichiAgentsNotFoundError || (err instanceof ZhichiBusinessError && err.code === BUSINESS_CODE.NOT_FOUND);
}

/** The import stopped on an error it could not retry past; `summary` tells how far it got. */
export class ImportFailedError extends ZhichiError {
  override readonly name: string = 'ImportFailedError';
  constructor(message: string, readonly summary: ImportSummary, options: { cause: unknown }) {
    super(message, {}, options);
  }
}

interface Chunk {
  seq: number;
  /** Record index (0-based, over all data rows) just past the last row of the chunk. */
  end: number;
  lastLine: number;
  contacts: ValidContact[];
  lines: number[];
  valid: number;
  localRejected: number;
  rejects: RejectedRow[];
  added: number;
  duplicates: number;
  serverRejected: number;
}

const newChunk = (seq: number, start: number): Chunk => ({
  seq, end: start, lastLine: 0, contacts: [], lines: [], valid: 0, localRejected: 0, rejects: [], added: 0, duplicates: 0, serverRejected: 0,
});

/**
 * Streams a contact file into a task: constant memory, rows validated with the shared contract,
 * bad rows to a reject file (line and reason), chunks of up to 1000 sent with bounded concurrency
 * and retried safely (the server deduplicates by outId), progress reported, and a checkpoint of the
 * highest contiguous done row so that an interrupted import resumes and a rerun adds nothing.
 */
export async function importContacts(opts: ImportOptions): Promise<ImportSummary> {
  const now = opts.now ?? Date.now;
  const started = now();
  const chunkSize = opts.chunkSize ?? MAX_CONTACTS_PER_REQUEST;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CONTACTS_PER_REQUEST) {
    throw new ImportFileError(`chunk size must be an integer from 1 to ${MAX_CONTACTS_PER_REQUEST} (got ${chunkSize})`);
  }
  const concurrency = opts.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new ImportFileError(`concurrency must be an integer from 1 to 64 (got ${concurrency})`);
  }
  if (!opts.taskId) throw new ImportFileError('task id must be a non-empty string');
  const chunkRetries = opts.chunkRetries ?? 5;
  const retryDelayMs = opts.retryDelayMs ?? 500;
  const notice = opts.onNotice ?? (() => undefined);
  const file = opts.file;
  const rejectsPath = resolve(opts.rejectsFile ?? `${file}.rejects.csv`);
  const checkpointPath = opts.checkpointFile === false ? undefined : resolve(opts.checkpointFile ?? defaultCheckpointPath(file, opts.taskId));
  const signal = opts.signal;

  /** Names the template variables that no column provides (JSONL: the first row's keys). */
  const checkVariables = (columns: readonly string[]): void => {
    const vars = opts.templateVariables ?? [];
    const missing = vars.filter((v) => !columns.includes(v));
    if (missing.length === 0) return;
    notice(
      `warning: the task's template uses ${missing.map((v) => `{${v}}`).join(', ')}, but ${file} has no such column ` +
        `(columns: ${columns.join(', ') || 'none'}); calls would go out without ${missing.length === 1 ? 'it' : 'them'}: add the column${missing.length === 1 ? '' : 's'} or rename one`,
    );
  };
  const source = await openRows(file, { format: opts.format, encoding: opts.encoding, delimiter: opts.delimiter, sheet: opts.sheet });
  if (source.encoding?.reason) notice(`${file}: ${source.encoding.reason}; reading it as ${source.encoding.name} (give --encoding to choose another)`);
  const st = statSync(file);
  const fileId = { path: resolve(file), size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
  const settings: Checkpoint['settings'] = {
    format: source.format,
    phoneColumn: opts.phoneColumn ?? null,
    outIdColumn: opts.outIdColumn ?? null,
    encoding: opts.encoding ?? null,
    delimiter: opts.delimiter ?? null,
    sheet: opts.sheet ?? null,
  };

  let mapping: ColumnMapping | undefined;
  let rejects: RejectWriter | undefined;
  try {
    // CSV and XLSX name their columns up front: a missing phone/outId column fails before any request.
    if (source.columns) {
      mapping = resolveMapping(source.columns, opts);
      checkVariables(source.columns);
    }

    let cp = checkpointPath && !opts.restart ? await readCheckpoint(checkpointPath) : undefined;
    if (cp) {
      const why = checkpointMismatch(cp, { taskId: opts.taskId, file: fileId, settings, rejectsFile: rejectsPath });
      if (why) {
        notice(`checkpoint ${checkpointPath} ignored (${why}); starting from the first row`);
        cp = undefined;
      }
    }
    const base = (): Omit<ImportSummary, 'rows' | 'valid' | 'rejected' | 'elapsedMs' | 'rowsPerSec'> => ({
      file, format: source.format, taskId: opts.taskId, mapping, sent: 0, added: 0, duplicates: 0, serverRejected: 0, skipped: 0,
      requests: 0, retries: 0, rejectsFile: undefined, checkpointFile: checkpointPath, resumedFrom: undefined, alreadyComplete: false,
      interrupted: false,
    });
    if (cp?.complete) {
      notice(`${file} was already imported into task ${opts.taskId} (checkpoint ${checkpointPath}); nothing to send`);
      return {
        ...base(), rows: cp.rowsDone, valid: cp.counts.valid, rejected: cp.counts.rejected, skipped: cp.rowsDone, elapsedMs: now() - started,
        rowsPerSec: 0, rejectsFile: cp.counts.rejected > 0 ? rejectsPath : undefined, resumedFrom: cp.rowsDone, alreadyComplete: true,
      };
    }
    if (cp) {
      rejects = await RejectWriter.open(rejectsPath, cp.rejectsBytes, opts.neutralizeFormulas ?? true);
      if (!rejects) {
        notice(`checkpoint ${checkpointPath} ignored (the reject file ${rejectsPath} is missing or shorter than recorded); starting from the first row`);
        cp = undefined;
      } else {
        notice(`resuming after line ${cp.lastLine} (${cp.rowsDone} rows already done, checkpoint ${checkpointPath})`);
      }
    }
    if (!rejects) rejects = await RejectWriter.open(rejectsPath, undefined, opts.neutralizeFormulas ?? true);
    const rw = rejects!;
    const resumeFrom = cp?.rowsDone ?? 0;

    // Totals of finalised rows (what the checkpoint may claim), starting from the checkpoint's.
    const done = {
      rows: resumeFrom,
      lastLine: cp?.lastLine ?? 0,
      counts: cp ? { ...cp.counts } : { valid: 0, rejected: 0, added: 0, duplicates: 0, serverRejected: 0 },
    };
    const run = { sent: 0, added: 0, duplicates: 0, serverRejected: 0, requests: 0, retries: 0, acknowledged: 0 };
    const seen = new FingerprintSet();
    let rowsRead = 0;
    let validTotal = 0;
    let rejectedTotal = 0;
    let failure: unknown;
    let interrupted = false;

    // --- finalisation in file order, and the checkpoint -------------------------------------
    const completed = new Map<number, Chunk>();
    let nextFinal = 0;
    let lastCheckpointAt = 0;
    let checkpointChain: Promise<void> = Promise.resolve();
    let finalising: Promise<void> = Promise.resolve();

    const snapshot = (complete: boolean): Checkpoint => ({
      version: 1, taskId: opts.taskId, file: fileId, settings, rowsDone: done.rows, lastLine: done.lastLine, rejectsFile: rejectsPath,
      rejectsBytes: rw.bytes, counts: { ...done.counts }, complete, updatedAt: new Date(now()).toISOString(),
    });
    const saveCheckpoint = (complete: boolean): Promise<void> => {
      if (!checkpointPath) return Promise.resolve();
      const cpData = snapshot(complete);
      lastCheckpointAt = now();
      // The rejects the checkpoint counts must be on disk before it claims them.
      checkpointChain = checkpointChain.then(() => rw.flush()).then(() => writeCheckpoint(checkpointPath, cpData));
      return checkpointChain;
    };
    const finalise = async (): Promise<void> => {
      for (let ch = completed.get(nextFinal); ch; ch = completed.get(nextFinal)) {
        completed.delete(nextFinal);
        nextFinal++;
        if (ch.rejects.length) {
          ch.rejects.sort((a, b) => a.line - b.line);
          await rw.write(ch.rejects);
        }
        done.rows = ch.end;
        if (ch.lastLine) done.lastLine = ch.lastLine;
        done.counts.valid += ch.valid;
        done.counts.rejected += ch.localRejected;
        done.counts.added += ch.added;
        done.counts.duplicates += ch.duplicates;
        done.counts.serverRejected += ch.serverRejected;
      }
      if (checkpointPath && now() - lastCheckpointAt >= 1000) void saveCheckpoint(false).catch((e: unknown) => notice(`checkpoint not saved: ${(e as Error).message}`));
      notify(); // the window may have room now
    };
    // The reader waits for a change (a request settled, chunks finalised, a failure, the abort).
    let waiter: (() => void) | undefined;
    const notify = (): void => {
      const w = waiter;
      waiter = undefined;
      w?.();
    };
    const complete = (ch: Chunk): void => {
      completed.set(ch.seq, ch);
      // Serialised: reject writes happen in file order even when chunks finish out of order.
      finalising = finalising.then(finalise).catch((e: unknown) => {
        failure ??= e;
        notify();
      });
    };

    // --- sending ------------------------------------------------------------------------------
    const inflight = new Set<Promise<void>>();
    const send = async (ch: Chunk): Promise<void> => {
      run.requests++;
      run.sent += ch.contacts.length;
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await opts.client.contacts.add(opts.taskId, ch.contacts, signal ? { signal } : {});
          const failList = res.failList ?? [];
          const failCount = res.failCount ?? failList.length;
          ch.duplicates = res.duplicateCount ?? 0;
          ch.added = res.successCount ?? Math.max(0, ch.contacts.length - ch.duplicates - failCount);
          ch.serverRejected = failCount;
          if (failList.length) {
            const lineOf = new Map<string, number>();
            ch.contacts.forEach((c, i) => lineOf.set(c.outId, ch.lines[i]!));
            for (const f of failList) {
              ch.rejects.push({ line: lineOf.get(String(f.outId)) ?? 0, reason: `refused by the server: ${f.reason ?? 'no reason given'}`, outId: f.outId, telephone: f.telephone });
            }
          }
          break;
        } catch (err) {
          if (signal?.aborted) return; // not acknowledged: resent on resume (deduplicated by outId)
          if (!isRetryableError(err) || attempt >= chunkRetries) {
            failure ??= err;
            return;
          }
          run.retries++;
          const delay = Math.min(10_000, retryDelayMs * 2 ** attempt);
          if (delay > 0) await abortableDelay(delay, signal);
          if (signal?.aborted || failure) return;
        }
      }
      run.added += ch.added;
      run.duplicates += ch.duplicates;
      run.serverRejected += ch.serverRejected;
      run.acknowledged += ch.contacts.length;
      ch.contacts = [];
      ch.lines = [];
      complete(ch);
    };
    // A stalled chunk must not let finished-but-unfinalised ones pile up without bound.
    const maxWindow = concurrency * 16;
    let seq = 0;
    const dispatch = async (ch: Chunk): Promise<void> => {
      if (ch.contacts.length === 0) {
        complete(ch); // only rejects: nothing to send, finalised in order
        return;
      }
      while (!failure && !signal?.aborted && (inflight.size >= concurrency || seq - nextFinal > maxWindow)) {
        await new Promise<void>((r) => {
          waiter = r;
        });
      }
      if (failure || signal?.aborted) return;
      const p: Promise<void> = send(ch).finally(() => {
        inflight.delete(p);
        notify();
      });
      inflight.add(p);
    };

    // --- progress -----------------------------------------------------------------------------
    const interval = opts.progressIntervalMs ?? 250;
    let lastProgress = 0;
    const progress = (isDone: boolean): void => {
      if (!opts.onProgress) return;
      const t = now();
      const elapsedMs = t - started;
      const bytesRead = Math.min(source.bytesRead(), source.totalBytes);
      const rate = elapsedMs > 0 ? bytesRead / elapsedMs : 0;
      lastProgress = t;
      opts.onProgress({
        rowsRead, valid: validTotal, rejected: rejectedTotal, acknowledged: run.acknowledged, rowsDone: done.rows, bytesRead,
        totalBytes: source.totalBytes, elapsedMs, rowsPerSec: elapsedMs > 0 ? Math.round((rowsRead * 1000) / elapsedMs) : 0,
        etaMs: isDone ? 0 : rate > 0 && elapsedMs > 500 ? Math.round((source.totalBytes - bytesRead) / rate) : undefined, done: isDone,
      });
    };

    // --- reading ------------------------------------------------------------------------------
    let record = 0;
    let chunk = newChunk(seq++, resumeFrom);
    const onAbort = () => {
      interrupted = true;
      notify();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) interrupted = true;
    try {
      // One await per batch (a read of the file), not per row: per-row promises were a good part of
      // the garbage a big import makes, and garbage rate is what fills V8's young generation.
      read: for await (const batch of source.batches) {
        for (const row of batch) {
          if (failure || interrupted) break read;
          const idx = record++;
          rowsRead++;
          const skip = idx < resumeFrom;
          if (row.error !== undefined) {
            rejectedTotal++;
            if (!skip) {
              chunk.rejects.push({ line: row.line, reason: row.error });
              chunk.localRejected++;
            }
          } else {
            if (!mapping) {
              mapping = resolveMapping(Object.keys(row.record), opts);
              checkVariables(Object.keys(row.record));
            }
            const m = mapRow(row.record, mapping);
            let reason: string | undefined;
            if (!m.ok) reason = m.reason;
            else {
              const prev = seen.addOrGet(m.contact.outId, row.line);
              if (prev) reason = `${mapping.outIdColumn} "${m.contact.outId}" repeats line ${prev} (duplicate outId in the file)`;
            }
            if (reason !== undefined) {
              rejectedTotal++;
              if (!skip) {
                chunk.rejects.push({ line: row.line, reason, outId: row.record[mapping.outIdColumn], telephone: row.record[mapping.phoneColumn] });
                chunk.localRejected++;
              }
            } else {
              validTotal++;
              if (!skip && m.ok) {
                chunk.contacts.push(m.contact);
                chunk.lines.push(row.line);
                chunk.valid++;
              }
            }
          }
          if (!skip) {
            chunk.end = idx + 1;
            chunk.lastLine = row.line;
            if (chunk.contacts.length >= chunkSize || chunk.rejects.length >= 1000) {
              const full = chunk;
              chunk = newChunk(seq++, full.end);
              await dispatch(full);
            }
          }
          if ((rowsRead & 255) === 0 && opts.onProgress && now() - lastProgress >= interval) progress(false);
        }
      }
    } catch (err) {
      failure ??= err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      source.close();
    }
    // The last chunk is always dispatched (an empty one finalises at once), so every seq completes.
    if (!failure && !interrupted) await dispatch(chunk);
    while (inflight.size) await Promise.race(inflight);
    await finalising;
    const finished = !failure && !interrupted && completed.size === 0 && nextFinal === seq;
    if (finished) {
      // Rows after the last chunk (all rejected, or none) are done too.
      done.rows = Math.max(done.rows, record);
    }
    // A task that does not exist has no progress to keep: no checkpoint for it (nothing was done).
    const taskMissing = failure !== undefined && isTaskMissing(failure) && done.rows === resumeFrom;
    if (!taskMissing) await saveCheckpoint(finished).catch((e: unknown) => notice(`checkpoint not saved: ${(e as Error).message}`));
    progress(true);
    const elapsedMs = now() - started;
    // A reject file with no rejected row (the header alone) is removed, finished or not: a checkpoint
    // that refers to it records the header's length, and resuming recreates a missing header-only file.
    await rw.close(true);
    rejects = undefined;
    const summary: ImportSummary = {
      ...base(),
      rows: rowsRead, valid: validTotal, rejected: rejectedTotal, sent: run.sent, added: run.added, duplicates: run.duplicates,
      serverRejected: run.serverRejected, skipped: Math.min(resumeFrom, rowsRead), requests: run.requests, retries: run.retries, elapsedMs,
      rowsPerSec: elapsedMs > 0 ? Math.round((rowsRead * 1000) / elapsedMs) : 0, rejectsFile: rw.hasRows ? rejectsPath : undefined,
      resumedFrom: cp ? resumeFrom : undefined, interrupted: interrupted && !failure,
    };
    if (failure) {
      if (failure instanceof ImportFileError) throw failure;
      const why = failure instanceof Error ? failure.message : String(failure);
      if (taskMissing) {
        // Rerunning would fail the same way: say what is wrong instead of advising to resume.
        throw new ImportFailedError(`import stopped: task ${opts.taskId} does not exist (${why}); check --task (zhichi tasks list shows the tasks); nothing was imported`, summary, { cause: failure });
      }
      throw new ImportFailedError(
        `import stopped after ${done.rows} of the file's rows were done (line ${done.lastLine}): ${why}; rerun the same command to resume`,
        summary,
        { cause: failure },
      );
    }
    return summary;
  } finally {
    source.close();
    if (rejects) await rejects.close(false).catch(() => undefined);
  }
}

