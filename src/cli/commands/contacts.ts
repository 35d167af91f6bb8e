import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import type { ZhichiClient } from '../../client.js';
import { CONTACT_STATUS, MAX_CONTACTS_PER_REQUEST, callResultName, enumName, type Contact } from '../../contract/index.js';
import { ZhichiValidationError } from '../../errors.js';
import { importContacts, type ImportFormat, type ImportSummary } from '../../import/index.js';
import { collect, groupCommand, intFlag, withClient } from '../context.js';
import { CliError, EXIT, type CliIO } from '../io.js';
import { formatInt, formatTime, keyValues, printJson, table } from '../output.js';
import { importProgress } from '../progress.js';
import { readJsonFile } from './tasks.js';

function parseVars(vars: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vars ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw new CliError(`--var must be name=value (got "${v}")`, EXIT.USAGE);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** Summary lines of an import, for humans. */
export function importSummaryLines(s: ImportSummary): Array<[string, unknown]> {
  return [
    ['file', `${s.file} (${s.format})`],
    ['task', s.taskId],
    ['columns', s.mapping ? `phone=${s.mapping.phoneColumn}, outId=${s.mapping.outIdColumn}, others → template variables` : undefined],
    ['rows', s.rows],
    ['valid', s.valid],
    ['rejected', s.rejected],
    ['sent', s.sent],
    ['added', s.added],
    ['already there', s.duplicates],
    ['refused by server', s.serverRejected],
    ['skipped (checkpoint)', s.skipped],
    ['requests', `${formatInt(s.requests)}${s.retries ? ` (+${formatInt(s.retries)} retried)` : ''}`],
    ['time', `${(s.elapsedMs / 1000).toFixed(1)} s, ${formatInt(s.rowsPerSec)} rows/s`],
    ['rejects', s.rejectsFile ?? 'none'],
    ['checkpoint', s.checkpointFile ?? 'off'],
  ];
}

interface ImportOpts {
  task?: string;
  file?: string;
  phoneColumn?: string;
  outIdColumn?: string;
  format?: string;
  encoding?: string;
  delimiter?: string;
  sheet?: string;
  rejects?: string;
  neutralizeFormulas?: boolean;
  checkpoint?: string | boolean;
  restart?: boolean;
  concurrency: number;
  chunkSize: number;
  progress?: boolean;
}

/** `zhichi contacts add|import|get`. */
/**
 * Variables of the task's script template (task detail `templateId`, then `GET templates`), to warn
 * when the file lacks them. Best effort: a task or template the API does not show gives none (a task
 * that does not exist is then reported by the import itself).
 */
async function variablesOf(client: ZhichiClient, taskId: string): Promise<string[] | undefined> {
  try {
    const task = await client.tasks.get(taskId);
    if (typeof task.templateId !== 'string') return undefined;
    const template = (await client.templates.list()).find((t) => t.templateId === task.templateId);
    return template?.variables;
  } catch {
    return undefined;
  }
}

export function register(program: Command, io: CliIO): void {
  const contacts = groupCommand(program.command('contacts').description('add, import and look up the contacts of a task'));
  const abs = (f: string) => (isAbsolute(f) ? f : join(io.cwd, f));

  contacts
    .command('add')
    .description(`add one contact (--out-id, --phone, --var) or a JSON list of up to ${MAX_CONTACTS_PER_REQUEST} (--file)`)
    .requiredOption('--task <taskId>', 'task id')
    .option('--out-id <outId>', 'your id for the contact (unique within the task)')
    .option('--phone <number>', 'phone number: mainland mobile or landline with area code, +86 allowed')
    .option('--var <name=value>', 'template variable, repeatable', collect)
    .option('--file <contacts.json>', 'JSON array of {outId, telephone, ...variables}')
    .action(async (opts: { task: string; outId?: string; phone?: string; var?: string[]; file?: string }, cmd: Command) => {
      let list: Contact[];
      if (opts.file !== undefined) {
        if (opts.outId !== undefined || opts.phone !== undefined) throw new CliError('give either --file or --out-id/--phone, not both', EXIT.USAGE);
        const v = readJsonFile(io, opts.file);
        if (!Array.isArray(v)) throw new CliError(`--file ${opts.file}: must hold a JSON array of contacts (use contacts import for CSV/XLSX/JSONL)`, EXIT.USAGE);
        list = v as Contact[];
      } else {
        if (opts.outId === undefined || opts.phone === undefined) {
          throw new CliError('contacts add needs --out-id and --phone (or --file contacts.json)', EXIT.USAGE);
        }
        list = [{ ...parseVars(opts.var), outId: opts.outId, telephone: opts.phone }];
      }
      await withClient(cmd, io, async (client, flags) => {
        let r;
        try {
          r = await client.contacts.add(opts.task, list);
        } catch (err) {
          // One contact from flags: name the flag to fix, not `contactList[0].telephone`.
          if (err instanceof ZhichiValidationError && opts.file === undefined && err.name === 'ZhichiValidationError') {
            const flagOf = (path: string) => (/telephone$/.test(path) ? '--phone' : /outId$/.test(path) ? '--out-id' : /^contactList\[0\]\.(.+)$/.test(path) ? `--var ${path.replace(/^contactList\[0\]\./, '')}` : path);
            throw new CliError(`invalid contact: ${err.issues.map((i) => `${flagOf(i.path)} ${i.message}`).join('; ')}`, EXIT.USAGE);
          }
          throw err;
        }
        if (flags.json) printJson(io, r);
        else {
          io.stdout(keyValues([['added', r.successCount ?? 0], ['already there', r.duplicateCount ?? 0], ['refused', r.failCount ?? 0]]));
          if (r.failList?.length) io.stdout(table(['outId', 'telephone', 'reason'], r.failList.map((f) => [f.outId, f.telephone, f.reason])));
        }
        if ((r.failCount ?? 0) > 0) throw new CliError('', EXIT.PARTIAL);
      });
    });

  contacts
    .command('import')
    .description('stream a .csv/.tsv/.xlsx/.jsonl file of contacts into a task (resumable, rerun-safe)')
    .requiredOption('--task <taskId>', 'task id')
    .requiredOption('--file <file>', 'contacts file: .csv, .tsv, .xlsx or .jsonl')
    .option('--phone-column <name>', 'column with the phone number (default: telephone, phone, mobile, 手机号...)')
    .option('--out-id-column <name>', 'column with your outId (default: outId, out_id...)')
    .option('--format <csv|tsv|xlsx|jsonl>', 'file format when the extension does not tell')
    .option('--encoding <name>', 'text encoding of CSV/JSONL, e.g. gbk (default utf-8)')
    .option('--delimiter <char>', 'CSV delimiter (default , or tab for .tsv)')
    .option('--sheet <name|n>', 'XLSX worksheet name or 1-based position (default the first)')
    .option('--rejects <file>', 'where bad rows go (default <file>.rejects.csv)')
    .option('--no-neutralize-formulas', "write reject cells starting with = + - @ TAB CR as they are (default: prefixed with ' so spreadsheets do not run them)")
    .option('--checkpoint <file>', 'checkpoint file (default <file>.<taskId>.checkpoint.json: one per file and task)')
    .option('--no-checkpoint', 'do not read or write a checkpoint')
    .option('--restart', 'ignore the checkpoint and start from the first row (the server still skips known outIds)')
    .option('--concurrency <n>', 'requests in flight', intFlag('--concurrency', 1, 64), 4)
    .option('--chunk-size <n>', `contacts per request (max ${MAX_CONTACTS_PER_REQUEST})`, intFlag('--chunk-size', 1, MAX_CONTACTS_PER_REQUEST), MAX_CONTACTS_PER_REQUEST)
    .option('--no-progress', 'no progress output')
    .action(async (opts: ImportOpts, cmd: Command) => {
      await withClient(cmd, io, async (client, flags) => {
        const templateVariables = await variablesOf(client, opts.task!);
        const view = opts.progress === false || flags.json ? undefined : importProgress(io, 'import');
        let summary: ImportSummary;
        try {
          summary = await importContacts({
            client,
            taskId: opts.task!,
            file: abs(opts.file!),
            format: opts.format as ImportFormat | undefined,
            phoneColumn: opts.phoneColumn,
            outIdColumn: opts.outIdColumn,
            encoding: opts.encoding,
            delimiter: opts.delimiter,
            sheet: opts.sheet !== undefined && /^\d+$/.test(opts.sheet) ? Number(opts.sheet) : opts.sheet,
            rejectsFile: opts.rejects !== undefined ? abs(opts.rejects) : undefined,
            neutralizeFormulas: opts.neutralizeFormulas !== false,
            checkpointFile: opts.checkpoint === false ? false : typeof opts.checkpoint === 'string' ? abs(opts.checkpoint) : undefined,
            restart: Boolean(opts.restart),
            concurrency: opts.concurrency,
            chunkSize: opts.chunkSize,
            signal: io.signal,
            onProgress: view ? (p) => view.update(p) : undefined,
            onNotice: (m) => io.stderr(`import: ${m}\n`),
            templateVariables,
          });
        } finally {
          view?.stop();
        }
        if (flags.json) printJson(io, summary);
        else io.stdout(keyValues(importSummaryLines(summary)));
        if (summary.interrupted) {
          throw new CliError(`import interrupted after ${formatInt(summary.sent)} contacts sent; rerun the same command to resume from the checkpoint`, EXIT.INTERRUPTED);
        }
        if (summary.rejected + summary.serverRejected > 0) {
          io.stderr(`import: ${formatInt(summary.rejected + summary.serverRejected)} rows rejected, see ${summary.rejectsFile ?? 'the reject file'}\n`);
          throw new CliError('', EXIT.PARTIAL);
        }
      });
    });

  contacts
    .command('get')
    .description('one contact of a task by outId, with its call attempts')
    .requiredOption('--task <taskId>', 'task id')
    .requiredOption('--out-id <outId>', 'your id for the contact')
    .action(async (opts: { task: string; outId: string }, cmd: Command) => {
      await withClient(cmd, io, async (client, flags) => {
        const c = await client.contacts.get(opts.task, opts.outId);
        if (flags.json) return printJson(io, c);
        io.stdout(
          keyValues([
            ['outId', c.outId],
            ['telephone', c.telephone],
            ['status', c.statusName ?? (typeof c.status === 'number' ? enumName(CONTACT_STATUS, c.status) : undefined)],
            ['attempts', c.attempts],
            ['last result', typeof c.lastCallResult === 'number' ? callResultName(c.lastCallResult) : undefined],
            ['last call', formatTime(c.lastCallTime)],
            ['next call', formatTime(c.nextCallTime)],
            ['intent', c.intent],
            ['variables', c.variables && Object.keys(c.variables).length ? c.variables : undefined],
          ]),
        );
        if (c.calls?.length) {
          io.stdout('\n');
          io.stdout(
            table(
              ['attempt', 'result', 'start', 'ring s', 'talk s', 'intent', 'callId'],
              c.calls.map((r) => [r.attempt, r.callResultName ?? callResultName(r.callResult), formatTime(r.startTime), r.ringDuration, r.talkDuration, r.intent, r.callId]),
            ),
          );
        }
      });
    });
}
