import type { Command } from 'commander';
import type { ZhichiClient } from '../client.js';
import { buildClient, type GlobalFlags } from './config.js';
import { CliError, EXIT, type CliIO } from './io.js';

/** The global flags as seen from a (sub)command. */
export function globals(cmd: Command): GlobalFlags {
  return cmd.optsWithGlobals() as GlobalFlags;
}

/** Runs `fn` with a client built from flags and env, and always releases it (e.g. Redis connections). */
export async function withClient<T>(cmd: Command, io: CliIO, fn: (client: ZhichiClient, flags: GlobalFlags) => Promise<T>): Promise<T> {
  const flags = globals(cmd);
  const client = buildClient(flags, io);
  try {
    return await fn(client, flags);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * Makes `group` (e.g. `tasks`) answer a missing or unknown subcommand with one line listing the
 * subcommands, instead of commander's multi-line help on stderr.
 */
export function groupCommand(group: Command): Command {
  return group.argument('[command]').action((name: string | undefined) => {
    const subs = group.commands.map((c) => c.name()).join(', ');
    const path = `zhichi ${group.name()}`;
    if (name === undefined) throw new CliError(`${path} needs a command: ${subs} (see ${path} --help)`, EXIT.USAGE);
    const near = closest(name, group.commands.map((c) => c.name()));
    throw new CliError(`unknown command '${path} ${name}'${near ? ` (Did you mean ${path} ${near}?)` : ''} (commands: ${subs})`, EXIT.USAGE);
  });
}

/** The candidate nearest to `word` by edit distance, if it is close enough to be a typo (as commander's own suggestions). */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/** Edit distance with adjacent transpositions (`lsit` → `list` is 1). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Parses an integer flag, naming the flag and the rule when it is not one. */
export function intFlag(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new CliError(`${flag} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`} (got "${v}")`, EXIT.USAGE);
    }
    return n;
  };
}

/** Parses a number flag within [min, max]. */
export function numberFlag(flag: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new CliError(`${flag} must be a number from ${min} to ${max} (got "${v}")`, EXIT.USAGE);
    return n;
  };
}

/** Collects a repeatable flag into an array. */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/**
 * A time flag: epoch milliseconds, or an ISO date/time (`2026-01-05T09:00`, a time without zone
 * is Asia/Shanghai like the API), or `+30m` / `+2h` / `+1d` from now.
 */
export function timeFlag(flag: string, now: () => number = Date.now) {
  return (v: string): number => {
    const s = v.trim();
    const rel = /^\+(\d+)([smhd])$/.exec(s);
    if (rel) return now() + Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    if (/^\d{12,14}$/.test(s)) return Number(s);
    if (/^\d{9,11}$/.test(s)) throw new CliError(`${flag} "${v}" looks like epoch seconds: give milliseconds, an ISO time or +30m`, EXIT.USAGE);
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(s);
    const local = /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00` : s.replace(' ', 'T');
    const t = /^\d{4}-\d{2}-\d{2}T/.test(local) ? Date.parse(hasZone ? local : `${local}+08:00`) : Number.NaN;
    if (!Number.isFinite(t)) throw new CliError(`${flag} must be epoch ms, an ISO time (2026-01-05T09:00) or +30m/+2h/+1d (got "${v}")`, EXIT.USAGE);
    return t;
  };
}
