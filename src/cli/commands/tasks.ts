import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { RETRY_CONDITION, TASK_STATUS, enumName, type CreateTaskParams, type TaskInfo } from '../../contract/index.js';
import { ZhichiValidationError } from '../../errors.js';
import { redactText } from '../../internal/redact.js';
import { collect, groupCommand, intFlag, timeFlag, withClient } from '../context.js';
import { CliError, EXIT, type CliIO } from '../io.js';
import { apiListSlice, limitOf, listFlags, listFooter, type ListFlags } from '../lists.js';
import { formatTime, keyValues, printJson, table } from '../output.js';

/** Flag that sets each create-task field, named in validation errors. */
const FIELD_FLAGS: Record<string, string> = {
  taskName: '--name',
  templateId: '--template',
  robotNum: '--robots',
  taskCronList: '--window',
  taskRetryList: '--retry',
  aniList: '--ani',
  timeType: '--time-type',
  startTime: '--start',
  endTime: '--end',
  pushFlag: '--push-url',
  pushType: '--push-type',
  pushUrl: '--push-url',
};

/** Reads a JSON object from a file named on the command line. */
export function readJsonFile(io: CliIO, file: string, flag = '--file'): unknown {
  const path = isAbsolute(file) ? file : join(io.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (err as Error).message})`}`, EXIT.USAGE);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new CliError(`${flag} ${file}: not valid JSON (${(err as Error).message})`, EXIT.USAGE);
  }
}

function parseWindow(v: string): { begin: string; end: string } {
  const m = /^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$/.exec(v);
  if (!m) throw new CliError(`--window must be HH:mm-HH:mm, e.g. 09:00-12:00 (got "${v}")`, EXIT.USAGE);
  const norm = (s: string) => (s.length === 4 ? `0${s}` : s);
  return { begin: norm(m[1]!), end: norm(m[2]!) };
}

function parseRetry(v: string): { retryNum: number; retryTime: number; retryCondition: number } {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*:\s*(\d+)\s*$/.exec(v);
  if (!m) throw new CliError(`--retry must be redials:minutes:condition, e.g. 1:60:3 (got "${v}")`, EXIT.USAGE);
  return { retryNum: Number(m[1]), retryTime: Number(m[2]), retryCondition: Number(m[3]) };
}

/** Create-task options as commander hands them over. */
interface CreateOpts {
  file?: string;
  name?: string;
  template?: string;
  robots?: number;
  window?: string[];
  retry?: string[];
  ani?: string[];
  timeType?: number;
  start?: number;
  end?: number;
  pushUrl?: string;
  pushType?: number;
}

/** Builds create-task params from `--file` and flags (flags win). */
export function buildTaskParams(io: CliIO, o: CreateOpts): CreateTaskParams {
  let base: Record<string, unknown> = {};
  if (o.file !== undefined) {
    const v = readJsonFile(io, o.file);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CliError(`--file ${o.file}: must hold a JSON object of task params`, EXIT.USAGE);
    base = { ...(v as Record<string, unknown>) };
  }
  if (o.name !== undefined) base.taskName = o.name;
  if (o.template !== undefined) base.templateId = o.template;
  if (o.robots !== undefined) base.robotNum = o.robots;
  if (o.window?.length) base.taskCronList = o.window.map(parseWindow);
  if (o.retry?.length) base.taskRetryList = o.retry.map(parseRetry);
  if (o.ani?.length) base.aniList = o.ani.flatMap((a) => a.split(',')).map((a) => a.trim()).filter(Boolean);
  if (o.start !== undefined) base.startTime = o.start;
  if (o.end !== undefined) base.endTime = o.end;
  if (o.timeType !== undefined) base.timeType = o.timeType;
  // Without an explicit type: a start/end window means 2, none means long-term (1).
  else if (base.timeType === undefined) base.timeType = base.startTime !== undefined || base.endTime !== undefined ? 2 : 1;
  if (o.pushUrl !== undefined) {
    base.pushUrl = o.pushUrl;
    base.pushFlag = 1;
    base.pushType ??= 2; // the seed's value
  }
  if (o.pushType !== undefined) base.pushType = o.pushType;
  return base as CreateTaskParams;
}

/**
 * Why a pushUrl would lose every push, or undefined: `zhichi webhooks serve` (and any receiver built
 * with a secret) answers 401 to a push whose URL carries no `?secret=`.
 */
export function pushUrlWithoutSecret(pushUrl: string | undefined): string | undefined {
  if (pushUrl === undefined || pushUrl.trim() === '') return undefined;
  let params: URLSearchParams;
  try {
    params = new URL(pushUrl).searchParams;
  } catch {
    return undefined; // the contract's own rule reports a malformed URL
  }
  const secret = params.get('secret');
  if (secret !== null && secret !== '') return undefined;
  return 'the push URL has no ?secret=<push secret>: a receiver with a push secret (zhichi webhooks serve) refuses every push with 401; add ?secret= with the receiver\'s push secret';
}

/** A retry condition as its name with the code (`NOT_CONNECTED (3)`); an unknown code stays a number. */
export function retryConditionName(code: unknown): string {
  if (typeof code !== 'number') return String(code ?? '-');
  const c = RETRY_CONDITION[code];
  return c ? `${c.name} (${code})` : String(code);
}

/** `--status RUNNING`, `--status running` or `--status 1`. */
export function taskStatusFlag(v: string): number {
  const s = v.trim();
  if (/^\d+$/.test(s)) return intFlag('--status', 0)(s);
  const code = (TASK_STATUS as Record<string, number>)[s.toUpperCase()];
  if (code === undefined) throw new CliError(`--status must be one of ${Object.keys(TASK_STATUS).join(', ')} or its code (got "${v}")`, EXIT.USAGE);
  return code;
}

/** Task status name: the server's, or ours for its code. */
export function statusName(t: TaskInfo): string | undefined {
  return t.statusName ?? (typeof t.status === 'number' ? enumName(TASK_STATUS, t.status) : undefined);
}

/** `key value` lines of one task. */
export function taskDetails(t: TaskInfo): Array<[string, unknown]> {
  return [
    ['taskId', t.taskId],
    ['name', t.taskName],
    ['status', statusName(t)],
    ['template', t.templateId],
    ['robots', t.robotNum],
    ['windows', t.taskCronList?.map((w) => `${w.begin}-${w.end}`).join(', ')],
    ['redials', t.taskRetryList?.map((r) => `${r.retryNum}× after ${r.retryTime} min if ${retryConditionName(r.retryCondition)}`).join(', ')],
    ['caller ids', t.aniList?.join(', ')],
    ['valid', t.timeType === 2 ? `${formatTime(t.startTime)} – ${formatTime(t.endTime)}` : 'long-term'],
    ['push', t.pushFlag === 1 ? `type ${t.pushType ?? '-'} to ${redactText(t.pushUrl ?? '')}` : 'off'],
    ['created', formatTime(t.createTime)],
    ['contacts', t.contactCount],
    ['finished', t.finishedCount],
    ['answered', t.answeredCount],
    ['calls', t.callCount],
    ['active calls', t.activeCalls],
  ];
}

/** `zhichi tasks create|get|list`. */
export function register(program: Command, io: CliIO): void {
  const tasks = groupCommand(program.command('tasks').description('create, show and list outbound tasks'));

  tasks
    .command('create')
    .description('create a task from --file task.json and/or flags (flags win)')
    .option('--file <task.json>', 'JSON object of create-task params (the seed\'s createTask shape)')
    .option('--name <taskName>', 'task name')
    .option('--template <templateId>', 'script template id (see zhichi templates)')
    .option('--robots <n>', 'robots for this task', intFlag('--robots', 1))
    .option('--window <HH:mm-HH:mm>', 'daily calling window, repeatable', collect)
    .option('--retry <n:min:cond>', 'redial rule redials:minutes:condition, repeatable', collect)
    .option('--ani <numbers>', 'caller numbers, comma-separated or repeated (see zhichi numbers)', collect)
    .option('--time-type <1|2>', '1 long-term, 2 between --start and --end', intFlag('--time-type', 1, 2))
    .option('--start <time>', 'start of validity: epoch ms, ISO time (Asia/Shanghai) or +30m', timeFlag('--start'))
    .option('--end <time>', 'end of validity: epoch ms, ISO time or +1d', timeFlag('--end'))
    .option('--push-url <url>', 'push dialing results to this URL (sets pushFlag 1)')
    .option('--push-type <1|2>', '1 final result per contact, 2 every call (default 2)', intFlag('--push-type', 1, 2))
    .action(async (opts: CreateOpts, cmd: Command) => {
      const params = buildTaskParams(io, opts);
      const noSecret = pushUrlWithoutSecret(params.pushUrl);
      if (noSecret) io.stderr(`warning: ${noSecret}\n`);
      await withClient(cmd, io, async (client, flags) => {
        let created;
        try {
          created = await client.tasks.create(params);
        } catch (err) {
          if (err instanceof ZhichiValidationError && opts.file === undefined && err.name === 'ZhichiValidationError') {
            // Name the flag to fix next to each field.
            const hint = err.issues.map((i) => {
              const field = i.path.split(/[.[]/)[0] ?? '';
              const flag = FIELD_FLAGS[field];
              return `${i.path}${flag ? ` (${flag})` : ''} ${i.message}`;
            });
            throw new CliError(`invalid task params: ${hint.join('; ')}`, EXIT.USAGE);
          }
          throw err;
        }
        if (flags.json) printJson(io, created);
        else io.stdout(`${created.taskId}\n`);
      });
    });

  tasks
    .command('get')
    .description('show one task with its status and counters')
    .argument('[taskId]', 'task id (or --task)')
    .option('--task <taskId>', 'task id')
    .action(async (taskArg: string | undefined, opts: { task?: string }, cmd: Command) => {
      const taskId = opts.task ?? taskArg;
      if (!taskId) throw new CliError('tasks get needs a task id: zhichi tasks get --task <taskId>', EXIT.USAGE);
      await withClient(cmd, io, async (client, flags) => {
        const t = await client.tasks.get(taskId);
        if (flags.json) printJson(io, t);
        else io.stdout(keyValues(taskDetails(t)));
      });
    });

  const tasksList = tasks
    .command('list')
    .description('list tasks, newest first (--order oldest for the other way)')
    .option('--name <text>', 'only tasks whose name contains this text')
    .option('--status <name|code>', `only tasks in this status: ${Object.entries(TASK_STATUS).map(([k, v]) => `${k} (${v})`).join(', ')}`, taskStatusFlag);
  listFlags(tasksList, 'tasks', 'page').action(async (opts: { name?: string; status?: number } & ListFlags, cmd: Command) => {
      const limit = limitOf(opts);
      const page = opts.page ?? 1;
      const order = opts.order ?? 'newest';
      await withClient(cmd, io, async (client, flags) => {
        const params: Record<string, unknown> = {};
        if (opts.name !== undefined) params.taskName = opts.name;
        if (opts.status !== undefined) params.status = opts.status;
        const offset = limit === Infinity ? 0 : (page - 1) * limit;
        const { rows, total } = await apiListSlice<TaskInfo>((pageNo, pageSize) => client.tasks.search({ ...params, pageNo, pageSize }), { offset, limit, order });
        const more = offset + rows.length < total ? `--page ${page + 1} for the next ${limit}` : null;
        const footer = () => listFooter(io, flags.json, { shown: rows.length, total, what: 'tasks', order, more });
        if (flags.json) {
          printJson(io, rows);
          return footer();
        }
        if (rows.length === 0) {
          io.stdout(total > 0 ? `no tasks on page ${page} (${total} in all)\n` : 'no tasks\n');
          return;
        }
        io.stdout(
          table(
            ['taskId', 'name', 'status', 'contacts', 'finished', 'answered', 'created'],
            rows.map((t) => [t.taskId, t.taskName, statusName(t), t.contactCount, t.finishedCount, t.answeredCount, formatTime(t.createTime)]),
          ),
        );
        footer();
      });
    });
}
