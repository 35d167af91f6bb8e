// bench/push-ingest: events/s and p50/p99 latency at concurrency 64 for the push receiver on SQLite and
// on PostgreSQL, against a bare node:http handler that answers 200 without storing; one run, ratios printed.
//   npx tsx bench/push-ingest/index.ts [--rounds 3] [--duration 5] [--connections 64] [--only bare,sqlite,postgres,pgfleet]
// `pgfleet`: two receiver processes on ONE PostgreSQL schema, half the connections each (a fleet behind a balancer).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { openEventStore } from '../../src/push/store.js';
import type { PostgresEventStore } from '../../src/push/postgres-store.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const DURATION = Number(arg('duration', '5'));
const ROUNDS = Number(arg('rounds', '3'));
const CONNECTIONS = Number(arg('connections', '64'));
const ONLY = arg('only', 'bare,sqlite,postgres').split(',');
const PG_URL = process.env['ZHICHI_BENCH_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = randomBytes(16).toString('hex');
const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));

interface Row {
  name: string;
  /** Server process CPU (user + system, all threads) per request, µs. */
  cpuUs?: number;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  errors: number;
  stored?: number;
  commits?: number;
}

function start(mode: string, location = '', env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, mode, location, SECRET], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (c) => reject(new Error(`${mode} server exited (${c})`)));
  });
}

function stop(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', () => {
      const m = /STATS (.*)/.exec(out);
      resolve(m ? (JSON.parse(m[1]!) as Record<string, unknown>) : {});
    });
    child.kill('SIGTERM');
  });
}

let seq = 0;
/** A distinct contract push per request: every event is new, so every request commits a row. */
function body(): string {
  const n = seq++;
  const t = 1_767_578_400_000 + n;
  return JSON.stringify({
    companyId: 'bench', taskId: 'bench-task', outId: `o${n}`, telephone: '13800138000', callId: `c${n}`, attempt: 1,
    callResult: n % 10 === 8 ? 0 : n % 10, callResultName: 'ANSWERED', startTime: t, answerTime: t + 5000, endTime: t + 65_000,
    ringDuration: 5, talkDuration: 60, intent: 'A', hangupBy: 1, aniNumber: '01052226451', eventType: 'CALL_RESULT', pushTime: t + 66_000,
  });
}

/** Loads every URL at once, the connections split evenly; one URL is the usual case. */
async function load(urls: string[], seconds: number): Promise<autocannon.Result> {
  const parts = await Promise.all(urls.map((u) => loadOne(u, seconds, Math.round(CONNECTIONS / urls.length))));
  if (parts.length === 1) return parts[0]!;
  // Fleet: requests add up; latency is reported as the worse of the receivers.
  const sum = (f: (r: autocannon.Result) => number) => parts.reduce((a, r) => a + f(r), 0);
  return {
    ...parts[0]!,
    '2xx': sum((r) => r['2xx']), non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors), timeouts: sum((r) => r.timeouts),
    duration: Math.max(...parts.map((r) => r.duration)),
    latency: { ...parts[0]!.latency, p50: Math.max(...parts.map((r) => r.latency.p50)), p99: Math.max(...parts.map((r) => r.latency.p99)) },
  };
}

async function loadOne(url: string, seconds: number, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/api/zhichi/events?secret=${SECRET}`,
    connections,
    pipelining: 1,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: body() }) }],
  });
}

interface Server {
  name: string;
  mode: string;
  location: string;
  /** Receiver processes: one, or two on one schema for `pgfleet`. */
  processes: number;
  children: ChildProcess[];
  urls: string[];
  /** Extra environment of the server processes (A/B variants, see `--pg-variants`). */
  env: Record<string, string>;
  rounds: autocannon.Result[];
  /** Requests answered in all loads, warm-up included (the CPU figure covers them all). */
  served: number;
  stats?: Record<string, unknown>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'zhichi-bench-'));
const pgSchema = `zhichi_bench_${randomBytes(4).toString('hex')}`;
const servers: Server[] = [];
const srv = (name: string, mode: string, location: string, processes = 1, env: Record<string, string> = {}): Server => ({ name, mode, location, processes, env, children: [], urls: [], rounds: [], served: 0 });
if (ONLY.includes('bare')) servers.push(srv('bare node:http (no storage)', 'bare', ''));
if (ONLY.includes('sqlite')) servers.push(srv('receiver + SQLite (WAL, fdatasync per commit)', 'sqlite', join(dir, 'bench.db')));
if (ONLY.includes('postgres')) servers.push(srv('receiver + PostgreSQL', 'postgres', `${PG_URL}?schema=${pgSchema}`));
// `--pg-variants "BENCH_INFLIGHT=1,BENCH_BATCH=1024;BENCH_INFLIGHT=3"`: more PostgreSQL receivers, one per
// variant (own schema), loaded in the same alternating rounds, for A/B comparisons of tuning knobs.
const variants = arg('pg-variants', '').split(';').filter((v) => v.trim() !== '');
variants.forEach((v, i) => {
  const env = Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string]));
  servers.push(srv(`receiver + PostgreSQL (${v})`, 'postgres', `${PG_URL}?schema=${pgSchema}_v${i}`, 1, env));
});
if (ONLY.includes('pgfleet')) servers.push(srv('2 receivers + one PostgreSQL schema', 'postgres', `${PG_URL}?schema=${pgSchema}_fleet`, 2));
const rows: Row[] = [];
try {
  for (const s of servers) {
    // Fleet members start one after the other: the first creates the schema.
    for (let i = 0; i < s.processes; i++) {
      const { child, url } = await start(s.mode, s.location, s.env);
      s.children.push(child);
      s.urls.push(url);
    }
  }
  for (const s of servers) {
    const w = await load(s.urls, 2); // warm-up: JIT, connections, page cache
    s.served += w['2xx'] + w.non2xx;
  }
  // Rounds alternate between the servers, so load from other jobs on this shared machine hits all alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of servers) {
      const r = await load(s.urls, DURATION);
      s.served += r['2xx'] + r.non2xx;
      s.rounds.push(r);
    }
  }
  for (const s of servers) {
    // CPU and commits add up over the fleet; the stored count is the schema's (the same from each).
    const all = await Promise.all(s.children.map((c) => stop(c)));
    const total: Record<string, unknown> = { ...all[0] };
    for (const k of ['cpuUserMs', 'cpuSystemMs', 'commits']) {
      if (all.every((x) => typeof x[k] === 'number')) total[k] = all.reduce((a, x) => a + (x[k] as number), 0);
    }
    if (all.some((x) => typeof x['count'] === 'number')) total['count'] = Math.max(...all.map((x) => (typeof x['count'] === 'number' ? x['count'] : 0)));
    s.stats = total;
  }
  for (const s of servers) {
    const rps = s.rounds.map((r) => r['2xx'] / (r.duration || DURATION));
    const row: Row = {
      name: s.name,
      rps: median(rps),
      p50: median(s.rounds.map((r) => r.latency.p50)),
      p99: median(s.rounds.map((r) => r.latency.p99)),
      ok: s.rounds.reduce((a, r) => a + r['2xx'], 0),
      errors: s.rounds.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0),
    };
    const st = s.stats ?? {};
    if (typeof st['cpuUserMs'] === 'number' && typeof st['cpuSystemMs'] === 'number' && s.served > 0) {
      row.cpuUs = ((st['cpuUserMs'] + st['cpuSystemMs']) * 1000) / s.served;
    }
    if (typeof st['count'] === 'number') row.stored = st['count'];
    if (typeof st['commits'] === 'number') row.commits = st['commits'];
    rows.push(row);
    console.log(`${s.name}: rounds ${rps.map((x) => Math.round(x)).join(', ')} events/s`);
  }
} finally {
  for (const s of servers) for (const c of s.children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  for (const schema of [ONLY.includes('postgres') ? pgSchema : null, ONLY.includes('pgfleet') ? `${pgSchema}_fleet` : null, ...variants.map((_v, i) => `${pgSchema}_v${i}`)]) {
    if (schema === null) continue;
    const st = (await openEventStore(`${PG_URL}?schema=${schema}`)) as PostgresEventStore;
    await st.dropSchema();
    await st.close();
  }
}

const bare = rows.find((r) => r.name.startsWith('bare'));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`\npush-ingest: ${CONNECTIONS} connections, ${ROUNDS} rounds × ${DURATION} s per server (medians), ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| server | events/s | p50 ms | p99 ms | server CPU µs/event | 2xx | errors | stored (incl. warm-up) | avg batch | ratio vs bare |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const ratio = bare && r !== bare ? (r.rps / bare.rps).toFixed(2) : '-';
  const batch = r.commits ? (r.stored! / r.commits).toFixed(1) : '-';
  console.log(`| ${r.name} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${r.cpuUs !== undefined ? r.cpuUs.toFixed(1) : '-'} | ${fmt(r.ok)} | ${r.errors} | ${r.stored !== undefined ? fmt(r.stored) : '-'} | ${batch} | ${ratio} |`);
}
const sqlite = rows.find((r) => r.name.includes('SQLite'));
if (sqlite && bare) {
  const checks = [
    [`SQLite >= 10,000 events/s`, sqlite.rps >= 10_000],
    [`SQLite >= 0.5 of bare`, sqlite.rps / bare.rps >= 0.5],
    [`SQLite p99 < 20 ms`, sqlite.p99 < 20],
  ] as const;
  console.log(`\ntargets: ${checks.map(([n, ok]) => `${n}: ${ok ? 'met' : 'MISSED'}`).join('; ')}`);
}
const pgRow = rows.find((r) => r.name === 'receiver + PostgreSQL');
if (pgRow && bare) console.log(`PostgreSQL >= 0.6 of bare (issue 16): ${pgRow.rps / bare.rps >= 0.6 ? 'met' : 'MISSED'}`);
for (const r of rows) {
  // Every acknowledged event is stored (all bodies are distinct): a cheap integrity check of the run.
  if (r.stored !== undefined && r.stored < r.ok) console.log(`WARNING: ${r.name} acknowledged ${r.ok} but stored ${r.stored}`);
}
