import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';

/**
 * What the checkpoint (`<file>.<taskId>.checkpoint.json` by default: one per file and task) records: how many data rows, from the start of the file, are done
 * (acknowledged by the server or rejected), for which file, task and column mapping. A resumed
 * import skips those rows; rows after them are sent again, which is safe because the server
 * deduplicates by outId.
 */
export interface Checkpoint {
  version: 1;
  taskId: string;
  file: { path: string; size: number; mtimeMs: number };
  /** Every option that changes which rows are valid; a checkpoint made with others is ignored. */
  settings: Record<string, string | number | null>;
  /** Data rows (valid or not) from the start of the file that are fully done. */
  rowsDone: number;
  /** Line of the last done row. */
  lastLine: number;
  rejectsFile: string;
  /** Length of the reject file that lists exactly the rejected rows among the done rows. */
  rejectsBytes: number;
  /** Totals over the done rows (cumulative across runs). */
  counts: { valid: number; rejected: number; added: number; duplicates: number; serverRejected: number };
  /** True once the whole file is done: a rerun adds nothing and returns at once. */
  complete: boolean;
  updatedAt: string;
}

/** Reads a checkpoint; undefined when missing or unreadable (a broken checkpoint is never fatal). */
export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<Checkpoint>;
    if (v.version !== 1 || typeof v.rowsDone !== 'number' || typeof v.taskId !== 'string' || !v.file || !v.counts) return undefined;
    return v as Checkpoint;
  } catch {
    return undefined;
  }
}

/**
 * Writes a checkpoint atomically (temp file + rename), so a crash never leaves half a file. The temp
 * file has a random name in the same directory and is created exclusively (`wx`: never through an
 * existing file or a planted symbolic link), mode `0600`; the rename replaces a link at `path` itself,
 * never its target.
 */
export async function writeCheckpoint(path: string, cp: Checkpoint): Promise<void> {
  const tmp = `${path}.${randomBytes(12).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(cp, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Why a checkpoint does not apply to this import, or undefined when it does. */
export function checkpointMismatch(
  cp: Checkpoint,
  now: { taskId: string; file: Checkpoint['file']; settings: Checkpoint['settings']; rejectsFile: string },
): string | undefined {
  if (cp.taskId !== now.taskId) return `it is for task ${cp.taskId}`;
  if (cp.file.size !== now.file.size || cp.file.mtimeMs !== now.file.mtimeMs) return 'the file changed since';
  if (cp.rejectsFile !== now.rejectsFile) return 'the reject file is different';
  const a = JSON.stringify(cp.settings);
  const b = JSON.stringify(now.settings);
  if (a !== b) return 'the column mapping or read options differ';
  return undefined;
}
