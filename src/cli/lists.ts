import type { Command } from 'commander';
import { intFlag } from './context.js';
import { CliError, EXIT, type CliIO } from './io.js';

/** Order of a listing: newest first (the default) or oldest first. */
export type ListOrder = 'newest' | 'oldest';

/** The flags every list command takes (see {@link listFlags}). */
export interface ListFlags {
  limit?: number;
  all?: boolean;
  order?: ListOrder;
  afterId?: number;
  page?: number;
}

/** Default number of rows a list shows. */
export const DEFAULT_LIST_LIMIT = 100;

function orderFlag(v: string): ListOrder {
  const s = v.trim().toLowerCase();
  if (s !== 'newest' && s !== 'oldest') throw new CliError(`--order must be newest or oldest (got "${v}")`, EXIT.USAGE);
  return s;
}

/**
 * Adds `--limit`, `--all`, `--order` and the paging flag (`--after-id` for stores with row ids, `--page`
 * for API lists) to a list command.
 */
export function listFlags(cmd: Command, what: string, paging: 'after-id' | 'page'): Command {
  cmd
    .option('--limit <n>', `at most this many ${what} (default ${DEFAULT_LIST_LIMIT}; a note says when more exist)`, intFlag('--limit', 1, 1_000_000))
    .option('--all', `every ${what}, however many`)
    .option('--order <newest|oldest>', 'newest first (the default) or oldest first', orderFlag);
  if (paging === 'after-id') cmd.option('--after-id <id>', 'continue after this id, in the listing\'s order (the note of a cut list gives it)', intFlag('--after-id', 0));
  else cmd.option('--page <n>', `the n-th group of --limit ${what} (default 1)`, intFlag('--page', 1));
  return cmd;
}

/** How many rows to show: Infinity with `--all`. */
export function limitOf(f: ListFlags): number {
  if (f.all && f.limit !== undefined) throw new CliError('--all and --limit exclude each other: give one', EXIT.USAGE);
  return f.all ? Infinity : (f.limit ?? DEFAULT_LIST_LIMIT);
}

/**
 * Says that a list was cut and how to see more: under the table in text mode, on stderr with `--json`
 * (stdout stays one JSON document). Prints nothing when everything was shown.
 */
export function listFooter(io: CliIO, json: boolean | undefined, o: { shown: number; total: number; what: string; order: ListOrder; more: string | null }): void {
  if (o.more === null) return;
  const line = `showing ${o.shown} of ${o.total} ${o.what}, ${o.order} first; more: ${o.more}, or --all\n`;
  if (json) io.stderr(`note: ${line}`);
  else io.stdout(line);
}

/** One page of an API list (the `{ total, list }` of the contract). */
export interface ApiPage<T> {
  total: number;
  list: T[];
}

/**
 * Rows `[offset, offset + limit)` of an API list in the wanted order. The API lists newest first
 * (**assumed**, as the emulator does); oldest first reads the same pages from the far end, which the
 * first page's `total` locates. Pages of 100 are fetched only where the wanted rows are.
 */
export async function apiListSlice<T>(
  fetchPage: (pageNo: number, pageSize: number) => Promise<ApiPage<T>>,
  o: { offset: number; limit: number; order: ListOrder },
): Promise<{ rows: T[]; total: number }> {
  const P = 100;
  const first = await fetchPage(1, P);
  const total = first.total;
  const pages = new Map<number, T[]>([[1, first.list]]);
  const lo = o.order === 'newest' ? o.offset : Math.max(0, total - o.offset - o.limit);
  const hi = o.order === 'newest' ? Math.min(total, o.offset + o.limit) : Math.max(0, total - o.offset);
  const out: T[] = [];
  for (let i = lo; i < hi; ) {
    const pageNo = Math.floor(i / P) + 1;
    let list = pages.get(pageNo);
    if (list === undefined) {
      list = (await fetchPage(pageNo, P)).list;
      pages.set(pageNo, list);
    }
    const from = i - (pageNo - 1) * P;
    const take = list.slice(from, from + (hi - i));
    // The list shrank while we read it: what we have is all there is.
    if (take.length === 0) break;
    out.push(...take);
    i += take.length;
  }
  return { rows: o.order === 'newest' ? out : out.reverse(), total };
}
