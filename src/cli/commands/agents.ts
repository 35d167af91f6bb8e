import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { AgentsClient } from '../../agents/client.js';
import { REDIAL_CONDITIONS, type CreateJobBody, type CustomerPerson } from '../../contract/agents/index.js';
import type { AddContactsResult, Contact } from '../../contract/index.js';
import { importContacts, type ContactSink, type ImportFormat, type ImportSummary } from '../../import/index.js';
import { collect, globals, groupCommand, intFlag } from '../context.js';
import { CliError, EXIT, type CliIO } from '../io.js';
import { keyValues, printJson, table } from '../output.js';
import { importProgress } from '../progress.js';
import { importSummaryLines } from './contacts.js';
import { readJsonFile } from './tasks.js';
import { storeLocation } from './webhooks.js';
import { openEventStore } from '../../push/store.js';
import { reconcileAgents } from '../../push/agents.js';

/** Flags of the `agents` group (credentials of the Agents API; env fallbacks ZHICHI_AGENTS_*). */
interface AgentsFlags {
  appKey?: string;
  appSecret?: string;
  tenantSign?: string;
  agentsBaseUrl?: string;
  json?: boolean;
}

/** An AgentsClient from the `agents` flags and the environment. */
export function buildAgentsClient(cmd: Command, io: CliIO): AgentsClient {
  const f = cmd.optsWithGlobals() as AgentsFlags;
  return new AgentsClient({ appKey: f.appKey, appSecret: f.appSecret, tenantSign: f.tenantSign, baseUrl: f.agentsBaseUrl, env: io.env, signal: io.signal });
}

/** Customer name columns of an import file (the rest are script variables). */
const NAME_COLUMNS = new Set(['name', '姓名', 'customerName']);

/**
 * The streaming importer's sink for the Agents API: each chunk goes out as one importCustomerAsync
 * call whose batch id is derived from the task and the chunk's outIds, so a chunk resent after a lost
 * answer (or on resume) carries the same batch id. The outId column names each row for the
 * checkpoint and the reject file; the server's per-customer verdicts arrive later by callback
 * (API_ROBOT_CALL_JOB_IMPORT_RESULT), not in this answer.
 */
export function agentsContactSink(agents: AgentsClient): ContactSink {
  return {
    contacts: {
      async add(taskId: string, contacts: Contact[], opts: { signal?: AbortSignal } = {}): Promise<AddContactsResult> {
        const people: CustomerPerson[] = contacts.map((c) => {
          const properties: Record<string, string> = {};
          let name: string | undefined;
          for (const [k, v] of Object.entries(c)) {
            if (k === 'outId' || k === 'telephone' || v === undefined || v === null) continue;
            if (NAME_COLUMNS.has(k)) name = String(v);
            else properties[k] = String(v);
          }
          const p: CustomerPerson = { phoneNumber: String(c.telephone), properties };
          if (name !== undefined) p.name = name;
          return p;
        });
        const batchId = createHash('sha256').update(`${taskId}\n${contacts.map((c) => c.outId).join('\n')}`).digest('hex').slice(0, 32);
        await agents.customers.importAsync(Number(taskId), people, { batchId, ...(opts.signal ? { signal: opts.signal } : {}) });
        return { successCount: contacts.length, failCount: 0, duplicateCount: 0 } as AddContactsResult;
      },
    },
  };
}

function window(flag: string, v: string): { startTime: string; endTime: string } {
  const m = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(v.trim());
  if (!m) throw new CliError(`${flag} must be HH:mm-HH:mm (got "${v}")`, EXIT.USAGE);
  return { startTime: m[1]!, endTime: m[2]! };
}

interface CreateFlags {
  file?: string;
  name?: string;
  script?: number;
  line?: string[];
  robots: number;
  mode: string;
  startTime?: string;
  window: string;
  inactive?: string[];
  phoneType: string;
  redial?: string;
  redialInterval?: number;
  redialTimes?: number;
}

/** The create body from `--file` or from the flags. */
export function createBodyFromFlags(f: CreateFlags, io: CliIO): CreateJobBody {
  if (f.file !== undefined) return readJsonFile(io, f.file) as CreateJobBody;
  if (f.name === undefined || f.script === undefined || !f.line?.length) throw new CliError('agents tasks create needs --name, --script and --line (or --file body.json)', EXIT.USAGE);
  const w = window('--window', f.window);
  const job: CreateJobBody['robotCallJob'] = {
    name: f.name, dialogFlowId: f.script, mode: f.mode, dailyStartTime: w.startTime, dailyEndTime: w.endTime, robotCount: f.robots, phoneType: f.phoneType,
  };
  if (f.startTime !== undefined) job.startTime = f.startTime;
  if (f.inactive?.length) job.inactiveTimeList = f.inactive.map((v) => window('--inactive', v));
  if (f.redial !== undefined) {
    job.redialCondition = f.redial.split(',').map((s) => s.trim()).filter(Boolean);
    job.redialInterval = f.redialInterval ?? 60;
    job.redialTimes = f.redialTimes ?? 1;
  }
  const body: CreateJobBody = { robotCallJob: job, jobPhoneNumberIdList: f.line.map((l) => Number(l)) };
  if (f.phoneType !== 'MOBILE') body.concurrencyQuota = f.robots;
  return body;
}

/** `zhichi agents ...`: the Agents (apiOpen/v1) API from the terminal. */
export function register(program: Command, io: CliIO): void {
  const agents = groupCommand(
    program
      .command('agents')
      .description('the Sobot 行业语音 Agents API (apiOpen/v1): scripts, lines, tasks, import, start/pause/stop, records, stats')
      .option('--app-key <key>', 'appKey (env ZHICHI_AGENTS_APP_KEY)')
      .option('--app-secret <secret>', 'appSecret (env ZHICHI_AGENTS_APP_SECRET; prefer the env)')
      .option('--tenant-sign <sign>', 'tenantSign (env ZHICHI_AGENTS_TENANT_SIGN)')
      .option('--agents-base-url <url>', 'host root (env ZHICHI_AGENTS_BASE_URL, default https://open-api.soboten.com/)'),
  );
  const json = (cmd: Command) => Boolean(globals(cmd).json);
  const abs = (f: string) => (isAbsolute(f) ? f : join(io.cwd, f));
  const idArg = (v: string) => intFlag('robotCallJobId', 1)(v);

  agents
    .command('scripts')
    .description('the tenant\'s scripts (Agents), or one with --id')
    .option('--id <dialogFlowId>', 'one script', intFlag('--id', 1))
    .action(async (o: { id?: number }, cmd: Command) => {
      const c = buildAgentsClient(cmd, io);
      const list = o.id !== undefined ? [await c.scripts.get(o.id)] : await c.scripts.list();
      if (json(cmd)) return printJson(io, o.id !== undefined ? list[0] : list);
      io.stdout(table(['dialogFlowId', 'name', 'status', 'audio', 'intent tags'], list.map((s) => [String(s.dialogFlowId), s.name, s.status, s.audioType, s.intentLevelTagId])));
    });

  agents
    .command('lines')
    .description('caller lines (tenantPhoneNumberId for --line)')
    .action(async (_o: unknown, cmd: Command) => {
      const lines = await buildAgentsClient(cmd, io).account.lines();
      if (json(cmd)) return printJson(io, lines);
      io.stdout(table(['tenantPhoneNumberId', 'number', 'name', 'type'], lines.map((l) => [String(l.tenantPhoneNumberId), l.phoneNumber, l.phoneName, l.phoneType])));
    });

  const tasks = groupCommand(agents.command('tasks').description('create, list and inspect tasks'));
  tasks
    .command('create')
    .description('create a task from flags or --file body.json (paced at 30 per minute)')
    .option('--file <body.json>', 'the whole job/create body')
    .option('--name <name>', 'task name (unique per account)')
    .option('--script <dialogFlowId>', 'script id (agents scripts)', intFlag('--script', 1))
    .option('--line <tenantPhoneNumberId>', 'caller line, repeatable (agents lines)', collect)
    .option('--robots <n>', 'AI seats (and concurrency)', intFlag('--robots', 1, 100_000), 1)
    .option('--mode <MANUAL|AUTO>', 'MANUAL starts with agents start; AUTO at --start-time', 'MANUAL')
    .option('--start-time <yyyy-MM-dd HH:mm:ss>', 'start of an AUTO task')
    .option('--window <HH:mm-HH:mm>', 'daily calling window', '09:00-20:00')
    .option('--inactive <HH:mm-HH:mm>', 'no-call window, repeatable (max 3)', collect)
    .option('--phone-type <type>', 'MOBILE, LANDLINE or CALL_POLICY_GROUP', 'LANDLINE')
    .option('--redial <statuses>', `redial on these results, comma-separated (${REDIAL_CONDITIONS.join(', ')})`)
    .option('--redial-interval <min>', 'minutes between redials (6-1440)', intFlag('--redial-interval', 6, 1440))
    .option('--redial-times <n>', 'redials (1-10)', intFlag('--redial-times', 1, 10))
    .action(async (f: CreateFlags, cmd: Command) => {
      const r = await buildAgentsClient(cmd, io).jobs.create(createBodyFromFlags(f, io));
      if (json(cmd)) return printJson(io, r);
      io.stdout(keyValues([['robotCallJobId', String(r.robotCallJobId)], ['recovered', r.recovered ? 'yes (the lost answer\'s task was found by name)' : undefined]]));
    });
  tasks
    .command('list')
    .description('tasks, optionally by name (fuzzy) and status')
    .option('--name <text>', 'name filter')
    .option('--status <status>', 'status filter, e.g. IN_PROCESS')
    .action(async (o: { name?: string; status?: string }, cmd: Command) => {
      const rows = [];
      const q: { name?: string; status?: string } = {};
      if (o.name !== undefined) q.name = o.name;
      if (o.status !== undefined) q.status = o.status;
      for await (const j of buildAgentsClient(cmd, io).jobs.iterate(q)) rows.push(j);
      if (json(cmd)) return printJson(io, rows);
      io.stdout(table(['robotCallJobId', 'name', 'status', 'created', 'completed', 'total'], rows.map((j) => [String(j.robotCallJobId), j.name, j.status, j.createTime, j.completedTask, j.taskCallTotal])));
    });
  tasks
    .command('get')
    .description('task detail')
    .argument('<robotCallJobId>', 'task id', idArg)
    .action(async (id: number, _o: unknown, cmd: Command) => {
      const d = await buildAgentsClient(cmd, io).jobs.detail(id);
      if (json(cmd)) return printJson(io, d);
      const j = d.robotCallJob as Record<string, unknown>;
      io.stdout(keyValues([['task', `${String(j.robotCallJobId)} "${String(j.name)}"`], ['status', j.status], ['mode', j.mode], ['window', `${String(j.dailyStartTime)}-${String(j.dailyEndTime)}`], ['customers', d.taskCallTotal], ['completed', d.completedTask], ['filtered', d.filteredTask]]));
    });

  for (const op of ['start', 'pause', 'stop', 'delete'] as const) {
    agents
      .command(op)
      .description(`${op} a task`)
      .argument('<robotCallJobId>', 'task id', idArg)
      .action(async (id: number, _o: unknown, cmd: Command) => {
        await buildAgentsClient(cmd, io).jobs[op](id);
        if (json(cmd)) return printJson(io, { robotCallJobId: id, done: op });
        io.stdout(`${op}: ${id} ok\n`);
      });
  }

  agents
    .command('import')
    .description('stream a .csv/.tsv/.xlsx/.jsonl file of customers into a task (importCustomerAsync; results arrive by callback)')
    .requiredOption('--task <robotCallJobId>', 'task id')
    .requiredOption('--file <file>', 'customers file')
    .option('--phone-column <name>', 'column with the phone number')
    .option('--out-id-column <name>', 'column naming each row for the checkpoint and the reject file (default outId, 编号...)')
    .option('--format <csv|tsv|xlsx|jsonl>', 'file format when the extension does not tell')
    .option('--encoding <name>', 'text encoding of CSV/JSONL')
    .option('--rejects <file>', 'where bad rows go (default <file>.rejects.csv)')
    .option('--no-checkpoint', 'do not read or write a checkpoint')
    .option('--restart', 'ignore the checkpoint')
    .option('--chunk-size <n>', 'customers per call (max 10000)', intFlag('--chunk-size', 1, 10_000), 1000)
    .option('--concurrency <n>', 'calls in flight', intFlag('--concurrency', 1, 32), 4)
    .option('--no-progress', 'no progress output')
    .action(async (o: { task: string; file: string; phoneColumn?: string; outIdColumn?: string; format?: string; encoding?: string; rejects?: string; checkpoint?: boolean; restart?: boolean; chunkSize: number; concurrency: number; progress?: boolean }, cmd: Command) => {
      const client = buildAgentsClient(cmd, io);
      const view = o.progress === false || json(cmd) ? undefined : importProgress(io, 'import');
      let summary: ImportSummary;
      try {
        summary = await importContacts({
          client: agentsContactSink(client), taskId: String(idArg(o.task)), file: abs(o.file), format: o.format as ImportFormat | undefined,
          phoneColumn: o.phoneColumn, outIdColumn: o.outIdColumn, encoding: o.encoding, rejectsFile: o.rejects !== undefined ? abs(o.rejects) : undefined,
          checkpointFile: o.checkpoint === false ? false : undefined, restart: Boolean(o.restart), chunkSize: o.chunkSize, concurrency: o.concurrency,
          signal: io.signal, onProgress: view ? (p) => view.update(p) : undefined, onNotice: (m) => io.stderr(`import: ${m}\n`),
        });
      } finally {
        view?.stop();
      }
      if (json(cmd)) printJson(io, summary);
      else io.stdout(keyValues(importSummaryLines(summary)));
      if (summary.interrupted) throw new CliError('import interrupted; rerun the same command to resume from the checkpoint', EXIT.INTERRUPTED);
      if (summary.rejected > 0) throw new CliError('', EXIT.PARTIAL);
    });

  agents
    .command('records')
    .description('call records of a task (paged at 20, all pages)')
    .requiredOption('--task <robotCallJobId>', 'task id')
    .option('--status <resultStatus>', 'only this result, repeatable', collect)
    .option('--phone <number>', 'only this called number')
    .option('--limit <n>', 'at most this many', intFlag('--limit', 1))
    .action(async (o: { task: string; status?: string[]; phone?: string; limit?: number }, cmd: Command) => {
      const q: { robotCallJobId: number; resultStatuses?: string[]; calledPhoneNumber?: string } = { robotCallJobId: idArg(o.task) };
      if (o.status?.length) q.resultStatuses = o.status;
      if (o.phone !== undefined) q.calledPhoneNumber = o.phone;
      const rows = [];
      for await (const r of buildAgentsClient(cmd, io).records.iterate(q)) {
        rows.push(r);
        if (o.limit !== undefined && rows.length >= o.limit) break;
      }
      if (json(cmd)) return printJson(io, rows);
      io.stdout(table(['callRecordId', 'phone', 'redial', 'result', 'start', 'talk s', 'intent', 'hangup'], rows.map((r) => [String(r.callRecordId), r.calledPhoneNumber, r.redialTimes, r.resultStatus, r.startTime, r.chatDuration, r.intentLevelName, r.hangupBy])));
    });

  agents
    .command('stats')
    .description('statistics of a task (getJobStats)')
    .requiredOption('--task <robotCallJobId>', 'task id')
    .action(async (o: { task: string }, cmd: Command) => {
      const s = await buildAgentsClient(cmd, io).jobs.stats(idArg(o.task));
      if (json(cmd)) return printJson(io, s);
      io.stdout(keyValues([['customers', s.customerNumber], ['completed', s.taskTotalCompleted], ['calls', s.taskCallTotal], ['answered calls', s.totalAnsweredCall], ['answered customers', s.answeredTask], ['progress', s.taskProgress !== undefined && s.taskProgress !== null ? `${s.taskProgress}%` : undefined]]));
      if (s.dialResult) io.stdout('\n' + table(['result', 'calls'], Object.entries(s.dialResult).sort((a, b) => b[1] - a[1])));
    });

  agents
    .command('reconcile')
    .description('compare the stored call records of a task with getCallRecordInfoList and store what no callback delivered')
    .requiredOption('--task <robotCallJobId>', 'task id')
    .option('--db <path|url>', 'event store (env ZHICHI_DB, default ./zhichi-events.db)')
    .action(async (o: { task: string; db?: string }, cmd: Command) => {
      const client = buildAgentsClient(cmd, io);
      const store = await openEventStore(storeLocation(o.db ?? (globals(cmd) as { db?: string }).db, io));
      try {
        const r = await reconcileAgents(store, { client, robotCallJobId: idArg(o.task) });
        if (json(cmd)) return printJson(io, r);
        io.stdout(keyValues([['task', String(r.robotCallJobId)], ['API records', r.apiRecords], ['already stored', r.alreadyStored], ['backfilled', r.backfilled], ['stored, not listed', r.storedNotInApi]]));
      } finally {
        await store.close();
      }
    });

  agents
    .command('callback-url')
    .description('set the tenant callback URL (isv/updateIsvInfo)')
    .argument('<url>', 'where the receiver takes Agents callbacks, e.g. https://host/agents/<secret>')
    .action(async (url: string, _o: unknown, cmd: Command) => {
      await buildAgentsClient(cmd, io).account.setCallbackUrl(url);
      if (json(cmd)) return printJson(io, { callbackUrl: 'set' });
      io.stdout('callback URL set\n');
    });
}
