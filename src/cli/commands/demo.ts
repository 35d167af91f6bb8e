import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { ZhichiClient } from '../../client.js';
import { CALL_RESULT, TASK_STATUS, callResultName, type CreateTaskParams, type TaskInfo } from '../../contract/index.js';
import { startEmulator, type EmulatorHandle } from '../../emulator/index.js';
import { SEED_TASK } from '../../emulator/seed-data.js';
import { importContacts, type ImportSummary } from '../../import/index.js';
import { abortableDelay as sleep } from '../../internal/delay.js';
import { registerSecret } from '../../internal/redact.js';
import { serveDashboard, type RunningDashboard } from '../../dashboard/handler.js';
import { createPushReceiver, nodeHandler, type PushReceiver } from '../../push/index.js';
import { globals, intFlag, numberFlag } from '../context.js';
import { CliError, EXIT, type CliIO } from '../io.js';
import { formatDuration, formatInt, formatTime, keyValues, printJson, printJsonLine, table } from '../output.js';
import { importProgress } from '../progress.js';
import { stopRequested } from './webhooks.js';
import { mulberry32 as rng } from '../../emulator/random.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Rows of the generated contact file (bad rows included). @default 2000 */
  contacts?: number;
  /** Bad rows among them (bad phone, missing outId, duplicate outId...). @default 12 */
  bad?: number;
  /** Robots of the task: the seed's 2 would need two calling days for 2,000 contacts. @default 10 */
  robots?: number;
  /** Virtual clock speed (3600 = one hour per second). @default 3600 */
  speed?: number;
  /** Seed of the emulator and of the contact file. @default 1 */
  seed?: number;
  /** Share of pushes the emulator sends twice / out of order. @default 0.05 / 0.05 */
  duplicateRate?: number;
  reorderRate?: number;
  /** Where the data goes. @default a new directory under the OS temp dir */
  dir?: string;
  /** Give up when the campaign has not finished after this many real seconds. @default 120 */
  timeoutSec?: number;
}

/** What the demo found: every number of the final table. */
export interface DemoSummary {
  dir: string;
  emulatorUrl: string;
  receiverUrl: string;
  database: string;
  taskId: string;
  taskStatus: string | undefined;
  import: Pick<ImportSummary, 'rows' | 'valid' | 'rejected' | 'added' | 'rejectsFile'>;
  contacts: number;
  dialed: number;
  answered: number;
  answeredPct: number;
  calls: number;
  redials: number;
  outcomes: Record<string, number>;
  intents: Record<string, number>;
  pushes: { sent: number; duplicatesSent: number; reordered: number; attempts: number; stored: number; duplicatesDropped: number };
  virtualStart: number;
  virtualEnd: number;
  realMs: number;
  consistent: boolean;
}

/** 08:55 today in Shanghai: the seed's task then starts at 09:00, when its calling window opens. */
function demoStart(now = Date.now()): number {
  const d = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  return Date.parse(`${d}T08:55:00+08:00`);
}


const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'];
const PRODUCTS = ['宽带续费', '会员升级', '保单回访', '课程试听'];
/** Bad rows of the demo file and what makes each bad. */
const BAD_ROWS: Array<(i: number) => [string, string]> = [
  (i) => [`demo-${i}`, '12345'],
  (i) => [`demo-${i}`, ''],
  (i) => ['', `139${String(i).padStart(8, '0')}`],
  (i) => [`demo-${i}`, '+1 415 555 0100'],
  (i) => [`demo-${i}`, '02112'],
  () => ['demo-1', '13900000001'], // repeats the first row's outId
];

/** Writes the demo's contact CSV: mobiles in several spellings, landlines, and `bad` bad rows. */
export async function writeDemoContacts(file: string, rows: number, bad: number, seed: number): Promise<void> {
  const rand = rng(seed);
  const out = createWriteStream(file);
  out.write('outId,telephone,name,product\n');
  const every = bad > 0 ? Math.max(2, Math.floor(rows / bad)) : Infinity;
  let badLeft = bad;
  for (let i = 1; i <= rows; i++) {
    let outId = `demo-${i}`;
    let phone: string;
    if (badLeft > 0 && i % every === 0) {
      [outId, phone] = BAD_ROWS[(bad - badLeft) % BAD_ROWS.length]!(i);
      badLeft--;
    } else {
      const n = String(Math.floor(rand() * 1e8)).padStart(8, '0');
      const k = rand();
      phone = k < 0.6 ? `13${Math.floor(rand() * 10)}${n}` : k < 0.75 ? `+86 15${Math.floor(rand() * 10)} ${n.slice(0, 4)} ${n.slice(4)}` : k < 0.9 ? `8618${Math.floor(rand() * 10)}${n}` : `010-6${n.slice(1)}`;
    }
    const name = `${SURNAMES[Math.floor(rand() * SURNAMES.length)]}先生`;
    const product = PRODUCTS[Math.floor(rand() * PRODUCTS.length)]!;
    if (!out.write(`${outId},${phone},${name},${product}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}



/**
 * What both demos (V5 and `--api agents`) start from: the options with their defaults, a printer
 * that is silent under `--json`, and the directory (given, or a fresh temp one) with its events DB.
 */
export async function prepareDemo(options: DemoOptions, io: CliIO, json: boolean, tmpPrefix: string) {
  const o = {
    contacts: options.contacts ?? 2000, bad: options.bad ?? 12, robots: options.robots ?? 10, speed: options.speed ?? 3600,
    seed: options.seed ?? 1, duplicateRate: options.duplicateRate ?? 0.05, reorderRate: options.reorderRate ?? 0.05,
    timeoutSec: options.timeoutSec ?? 120,
  };
  const say = (s: string) => {
    if (!json) io.stdout(s);
  };
  const realStart = Date.now();
  const dir = options.dir !== undefined ? (isAbsolute(options.dir) ? options.dir : join(io.cwd, options.dir)) : await mkdtemp(join(tmpdir(), tmpPrefix));
  await mkdir(dir, { recursive: true });
  return { o, say, realStart, dir, database: join(dir, 'events.db') };
}

/**
 * Runs the whole system in one process: the emulator (virtual clock at `speed`), the push receiver
 * (SQLite in `dir`), the seed's task with pushes to the receiver, a generated contact file
 * imported with the streaming import, the campaign to its end with live progress, and a summary
 * that cross-checks the API's dialing results against the pushes stored.
 */
export async function runDemo(options: DemoOptions, io: CliIO, json = false): Promise<DemoSummary> {
  const { o, say, realStart, dir, database } = await prepareDemo(options, io, json, 'zhichi-demo-');

  let emu: EmulatorHandle | undefined;
  let receiver: PushReceiver | undefined;
  let server: Server | undefined;
  let client: ZhichiClient | undefined;
  try {
    const virtualStart = demoStart();
    // Demo credentials only: the user's ZHICHI_* settings must not leak into (or be needed by) the demo.
    emu = await startEmulator({
      env: {}, seed: o.seed, robotCount: Math.max(10, o.robots), clock: { mode: 'real', speed: o.speed, start: virtualStart },
      push: { duplicateRate: o.duplicateRate, reorderRate: o.reorderRate },
    });
    say(`emulator  ${emu.url}  (virtual clock ×${o.speed}, starts ${formatTime(virtualStart)} Asia/Shanghai)\n`);

    const secret = randomBytes(24).toString('hex');
    registerSecret(secret);
    receiver = await createPushReceiver({ secret, store: database, path: '/api/zhichi/events', env: {} });
    const srv = createServer(nodeHandler(receiver));
    server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve());
    });
    const receiverUrl = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/api/zhichi/events`;
    say(`receiver  ${receiverUrl}?secret=[REDACTED]  (SQLite ${database})\n`);

    client = new ZhichiClient({ apiKey: 'demo-key', apiSecret: 'demo-secret', companyId: emu.companyId, baseUrl: emu.url, env: {} });
    const [robots, numbers, templates] = await Promise.all([client.robots.count(), client.numbers.list(), client.templates.list()]);
    say(`company   ${emu.companyId}: ${robots} robots, ${numbers.length} caller numbers, ${templates.length} templates\n`);

    const now = emu.clock.now();
    const params: CreateTaskParams = {
      ...SEED_TASK, taskCronList: [...SEED_TASK.taskCronList], taskRetryList: [...SEED_TASK.taskRetryList], aniList: [...SEED_TASK.aniList],
      robotNum: o.robots, startTime: now + 300_000, endTime: now + 86_400_000, pushUrl: `${receiverUrl}?secret=${secret}`,
    };
    const { taskId } = await client.tasks.create(params);
    say(`task      ${taskId}  "${SEED_TASK.taskName}" (the seed's example), ${o.robots} robots, window 09:00-20:00, 1 redial after 60 min if not connected\n`);

    const file = join(dir, 'contacts.csv');
    await writeDemoContacts(file, o.contacts, o.bad, o.seed);
    const view = json ? undefined : importProgress(io, 'import', 1000);
    let imp: ImportSummary;
    try {
      imp = await importContacts({ client, taskId, file, restart: true, signal: io.signal, onProgress: view ? (p) => view.update(p) : undefined });
    } finally {
      view?.stop();
    }
    say(`import    ${formatInt(imp.rows)} rows: ${formatInt(imp.added)} added, ${formatInt(imp.rejected)} rejected (${imp.rejectsFile ?? 'none'})\n`);
    if (imp.interrupted) throw new CliError('demo interrupted', EXIT.INTERRUPTED);

    // The campaign runs on the emulator's ticker; we only watch it.
    let t: TaskInfo = await client.tasks.get(taskId);
    let lastLine = '';
    const deadline = Date.now() + o.timeoutSec * 1000;
    for (;;) {
      if (io.signal?.aborted) throw new CliError('demo interrupted', EXIT.INTERRUPTED);
      t = await client.tasks.get(taskId);
      const stored = receiver.stats().stored;
      const line = `campaign  ${formatTime(emu.clock.now()).slice(5, 16)}  ${t.statusName ?? '-'}  finished ${formatInt(t.finishedCount ?? 0)}/${formatInt(t.contactCount ?? 0)}  calls ${formatInt(t.callCount ?? 0)}  on the phone ${t.activeCalls ?? 0}  pushes stored ${formatInt(stored)}`;
      if (!json) {
        if (io.isTTY) io.stderr(`\r\x1b[2K${line}`);
        else if (line !== lastLine) io.stderr(`${line}\n`);
      }
      lastLine = line;
      if ((t.status === TASK_STATUS.FINISHED || t.status === TASK_STATUS.EXPIRED) && !t.activeCalls) break;
      if (Date.now() > deadline) throw new CliError(`demo: the campaign did not finish within ${o.timeoutSec} s (status ${t.statusName}); try a higher --speed`, EXIT.ERROR);
      await sleep(io.isTTY ? 100 : 500, io.signal);
    }
    if (!json && io.isTTY) io.stderr('\n');
    const virtualEnd = emu.clock.now();

    // Every push due has been sent; wait for the receiver to commit them (retries would be due later).
    const expected = t.callCount ?? 0;
    let storedForTask = 0;
    for (const until = Date.now() + 30_000; ;) {
      await emu.drainPushes();
      await receiver.drain();
      storedForTask = await receiver.store.count({ taskId });
      if (storedForTask >= expected || Date.now() > until || io.signal?.aborted) break;
      await sleep(100, io.signal);
    }

    // Outcomes from the API (dialing results), cross-checked against the pushes stored.
    const outcomes: Record<string, number> = {};
    const intents: Record<string, number> = {};
    let calls = 0;
    let redials = 0;
    const answeredContacts = new Set<string>();
    const dialedContacts = new Set<string>();
    for await (const r of client.results.iterate(taskId)) {
      calls++;
      if (r.attempt > 1) redials++;
      dialedContacts.add(r.outId);
      const name = r.callResultName ?? callResultName(r.callResult);
      outcomes[name] = (outcomes[name] ?? 0) + 1;
      if (r.callResult === CALL_RESULT.ANSWERED) answeredContacts.add(r.outId);
      if (r.intent) intents[r.intent] = (intents[r.intent] ?? 0) + 1;
    }
    const es = emu.stats() as { pushes?: Record<string, number> };
    const ps = es.pushes ?? {};
    const rs = receiver.stats();
    const contacts = t.contactCount ?? 0;
    const summary: DemoSummary = {
      dir, emulatorUrl: emu.url, receiverUrl, database, taskId, taskStatus: t.statusName,
      import: { rows: imp.rows, valid: imp.valid, rejected: imp.rejected, added: imp.added, rejectsFile: imp.rejectsFile },
      contacts, dialed: dialedContacts.size, answered: answeredContacts.size,
      answeredPct: contacts ? Math.round((answeredContacts.size / contacts) * 1000) / 10 : 0, calls, redials, outcomes, intents,
      pushes: {
        sent: ps.pushes ?? 0, duplicatesSent: ps.duplicates ?? 0, reordered: ps.reordered ?? 0, attempts: ps.attempts ?? 0,
        stored: storedForTask, duplicatesDropped: rs.duplicates,
      },
      virtualStart, virtualEnd, realMs: Date.now() - realStart,
      consistent: storedForTask === calls && calls === (t.callCount ?? calls) && contacts === imp.valid,
    };
    return reportDemo(io, json, summary);
  } finally {
    await client?.close().catch(() => undefined);
    await closeDemo(emu, server, receiver);
  }
}

/** Prints the summary (JSON or the table) and returns it; shared by both demos. */
export function reportDemo(io: CliIO, json: boolean, summary: DemoSummary): DemoSummary {
  if (json) printJson(io, summary);
  else printSummary(io, summary);
  return summary;
}

/** Stops what a demo started, whatever got started before a failure; shared by both demos. */
export async function closeDemo(emu: EmulatorHandle | undefined, server: Server | undefined, receiver: PushReceiver | undefined): Promise<void> {
  await emu?.close().catch(() => undefined);
  if (server) {
    const s = server;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }
  await receiver?.close().catch(() => undefined);
}

function pct(n: number, of: number): string {
  return of ? `${((n / of) * 100).toFixed(1)}%` : '-';
}

/** The demo's final summary, for humans (shared by `--api v5` and `--api agents`). */
export function printSummary(io: CliIO, s: DemoSummary): void {
  io.stdout('\n');
  io.stdout(
    keyValues([
      ['task', `${s.taskId} (${s.taskStatus ?? '-'})`],
      ['contacts', `${formatInt(s.contacts)} imported (${formatInt(s.import.rejected)} bad rows rejected)`],
      ['dialed', `${formatInt(s.dialed)} (${pct(s.dialed, s.contacts)})`],
      ['answered', `${formatInt(s.answered)} contacts (${s.answeredPct}%)`],
      ['calls', `${formatInt(s.calls)} (${formatInt(s.calls - s.redials)} first calls + ${formatInt(s.redials)} redials)`],
      ['pushes', `${formatInt(s.pushes.sent)} sent + ${formatInt(s.pushes.duplicatesSent)} duplicates, ${formatInt(s.pushes.reordered)} reordered`],
      ['stored', `${formatInt(s.pushes.stored)} events (${formatInt(s.pushes.duplicatesDropped)} duplicates dropped), ${s.pushes.stored === s.calls ? 'one per call' : `MISMATCH: ${formatInt(s.calls)} calls`}`],
      ['virtual time', `${formatTime(s.virtualStart).slice(5, 16)} → ${formatTime(s.virtualEnd).slice(5, 16)} (${formatDuration(s.virtualEnd - s.virtualStart)}) in ${(s.realMs / 1000).toFixed(1)} s`],
    ]),
  );
  io.stdout('\n');
  const rows = Object.entries(s.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v, pct(v, s.calls)]);
  io.stdout(table(['outcome', 'calls', 'share'], rows));
  if (Object.keys(s.intents).length) {
    io.stdout('\n');
    io.stdout(table(['intent', 'answered calls'], Object.entries(s.intents).sort().map(([k, v]) => [k, v])));
  }
  io.stdout('\n');
  io.stdout(
    keyValues([
      ['data', s.dir],
      ['  events', `${s.database} (SQLite, table events)`],
      ['  contacts', join(s.dir, 'contacts.csv')],
      ['  rejects', s.import.rejectsFile ?? 'none'],
      ['explore', `npx zhichi results list --db ${s.database} --task ${s.taskId}`],
    ]),
  );
}

/** `demo --dashboard`: the dashboard on the demo's store until Ctrl-C; the demo knows its task's contacts. */
async function keepDashboard(s: DemoSummary, io: CliIO, json: boolean): Promise<void> {
  let running: RunningDashboard;
  try {
    running = await serveDashboard({
      store: s.database,
      taskInfo: async (id) => (id === s.taskId ? { name: SEED_TASK.taskName, contacts: s.contacts } : null),
    });
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.USAGE);
  }
  const taskUrl = `${running.url}#/task/${encodeURIComponent(s.taskId)}`;
  if (json) printJsonLine(io, { dashboard: { listening: running.url, task: taskUrl, store: s.database } });
  else io.stdout(`\ndashboard ${taskUrl}  (Ctrl-C to stop)\n`);
  await stopRequested(io.signal);
  await running.close();
  if (json) printJsonLine(io, { stopped: { url: running.url } });
}

/** `zhichi demo`: what `npm start` runs. */
export function register(program: Command, io: CliIO): void {
  program
    .command('demo')
    .description('run the whole system locally: emulator, push receiver, the seed\'s task, an import and a campaign, then a summary')
    .option('--contacts <n>', 'rows of the generated contact file', intFlag('--contacts', 1, 1_000_000), 2000)
    .option('--bad <n>', 'bad rows among them', intFlag('--bad', 0, 1_000_000), 12)
    .option('--robots <n>', 'robots of the task (the seed has 2)', intFlag('--robots', 1, 1000), 10)
    .option('--speed <x>', 'virtual clock speed, 3600 = one hour per second', numberFlag('--speed', 1, 1e7), 3600)
    .option('--seed <n>', 'seed of the emulator and of the contact file', intFlag('--seed', 0, 0xffffffff), 1)
    .option('--duplicate-rate <r>', 'share of pushes sent twice', numberFlag('--duplicate-rate', 0, 1), 0.05)
    .option('--reorder-rate <r>', 'share of pushes sent out of order', numberFlag('--reorder-rate', 0, 1), 0.05)
    .option('--dir <path>', 'where the data goes (default a new temp directory)')
    .option('--timeout <s>', 'give up after this many seconds', intFlag('--timeout', 1), 120)
    .option('--api <v5|agents>', 'which API generation the campaign runs on', 'v5')
    .option('--dashboard', 'at the end, keep the campaign dashboard open on the demo\'s results and print its URL (Ctrl-C stops)')
    .action(async (f: { contacts: number; bad: number; robots: number; speed: number; seed: number; duplicateRate: number; reorderRate: number; dir?: string; timeout: number; api: string; dashboard?: boolean }, cmd: Command) => {
      if (f.api !== 'v5' && f.api !== 'agents') throw new CliError(`--api must be v5 or agents (got "${f.api}")`, EXIT.USAGE);
      if (f.bad > f.contacts) throw new CliError('--bad must not exceed --contacts', EXIT.USAGE);
      const opts: DemoOptions = {
        contacts: f.contacts, bad: f.bad, robots: f.robots, speed: f.speed, seed: f.seed, duplicateRate: f.duplicateRate,
        reorderRate: f.reorderRate, timeoutSec: f.timeout,
      };
      if (f.dir !== undefined) opts.dir = f.dir;
      const s = f.api === 'agents' ? await (await import('./agents-demo.js')).runAgentsDemo(opts, io, Boolean(globals(cmd).json)) : await runDemo(opts, io, Boolean(globals(cmd).json));
      if (!s.consistent) throw new CliError(`demo: results and pushes disagree (calls ${s.calls}, stored ${s.pushes.stored}, contacts ${s.contacts}, valid rows ${s.import.valid})`, EXIT.ERROR);
      if (f.dashboard) await keepDashboard(s, io, Boolean(globals(cmd).json));
    });
}
