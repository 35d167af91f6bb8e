import type { Command } from 'commander';
import { createRelay, readRelayStatus, type Relay, type RelayOptions } from '../../relay/relay.js';
import { brokerOf, redactUrl } from '../../relay/publisher.js';
import { redactLocation } from '../../push/store.js';
import { globals, intFlag } from '../context.js';
import { CliError, EXIT, type CliIO } from '../io.js';
import { formatTime, jsonLine, keyValues, printJson, printJsonLine } from '../output.js';
import { storeLocation } from './webhooks.js';

/** Env fallback of `--to`. */
export const RELAY_ENV = { to: 'ZHICHI_RELAY_TO' } as const;

interface RelayFlags {
  db?: string;
  json?: boolean;
  to?: string;
  name?: string;
  stream?: string;
  subjectPrefix?: string;
  queue?: string;
  exchange?: string;
  batch?: number;
  once?: boolean;
  status?: boolean;
  statsEvery?: number;
}

/** Resolves when the signal aborts (the CLI turns SIGINT/SIGTERM into one), or never without a signal. */
function aborted(signal: AbortSignal | undefined): AbortSignal {
  return signal ?? new AbortController().signal;
}

async function status(f: RelayFlags, io: CliIO): Promise<void> {
  const location = storeLocation(f.db, io);
  let s;
  try {
    s = await readRelayStatus(location, f.name !== undefined ? { name: f.name } : {});
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.USAGE);
  }
  if (f.json) {
    printJson(io, { store: redactLocation(location), ...s });
    return;
  }
  io.stdout(keyValues([
    ['relay', s.relay],
    ['store', redactLocation(location)],
    ['cursor', s.position.tx === '0' ? `id ${s.position.id}` : `tx ${s.position.tx}, id ${s.position.id}`],
    ['published', s.published],
    ['backlog', s.backlog],
    ['oldest unpublished', s.oldestUnpublishedAt === null ? 'none' : `${formatTime(s.oldestUnpublishedAt)} (lag ${Math.max(0, Date.now() - s.oldestUnpublishedAt)} ms)`],
    ['errors', s.errors],
    ['last error', s.lastError ?? 'none'],
    ['lead', s.owner ?? 'none'],
    ['updated', formatTime(s.updatedAt)],
  ]));
}

async function relay(f: RelayFlags, io: CliIO): Promise<void> {
  if (f.status) return status(f, io);
  const to = f.to ?? io.env[RELAY_ENV.to];
  if (to === undefined || to.trim() === '') {
    throw new CliError(`zhichi relay needs --to <nats://|redis://|amqp://> (env ${RELAY_ENV.to}), or --status`, EXIT.USAGE);
  }
  const options: RelayOptions = { store: storeLocation(f.db, io), to };
  if (f.name !== undefined) options.name = f.name;
  if (f.stream !== undefined) options.stream = f.stream;
  if (f.subjectPrefix !== undefined) options.subjectPrefix = f.subjectPrefix;
  if (f.queue !== undefined) options.queue = f.queue;
  if (f.exchange !== undefined) options.exchange = f.exchange;
  if (f.batch !== undefined) options.batchSize = f.batch;
  // Under --json the relay's log lines are JSON lines on stderr too ({"warning":…}, {"log":…}; stdout keeps the status lines).
  options.logger = f.json
    ? { warn: (m) => io.stderr(jsonLine({ warning: m })), error: (m) => io.stderr(jsonLine({ log: { level: 'error', message: m } })), info: (m) => io.stderr(jsonLine({ log: { level: 'info', message: m } })) }
    : { warn: (m) => io.stderr(`warning: ${m}\n`), error: (m) => io.stderr(`error: ${m}\n`), info: (m) => io.stderr(`${m}\n`) };
  let r: Relay;
  try {
    brokerOf(to);
    r = await createRelay(options);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.USAGE);
  }
  try {
    if (f.json) printJsonLine(io, { relay: r.name, instanceId: r.instanceId, store: redactLocation(options.store), to: redactUrl(to) });
    else io.stdout(`relay "${r.name}" (${r.instanceId}): ${redactLocation(options.store)} -> ${redactUrl(to)}\n`);
    if (f.once) {
      const rep = await r.runOnce();
      if (!rep.leader) {
        if (f.json) printJsonLine(io, { done: { leader: false, published: 0 } });
        else io.stdout(`another relay named "${r.name}" is publishing; nothing done\n`);
        return;
      }
      if (f.json) printJsonLine(io, { done: { leader: true, published: rep.published } });
      else io.stdout(`published ${rep.published} events\n`);
      return;
    }
    const signal = aborted(io.signal);
    const every = f.statsEvery ?? 10_000;
    const timer = setInterval(() => {
      const m = r.metrics();
      if (f.json) {
        printJsonLine(io, { progress: { published: m.published, lagMs: m.lagMs ?? null, errors: m.errors, leader: m.leader } });
        return;
      }
      io.stdout(`published ${m.published}, lag ${m.lagMs ?? '-'} ms, errors ${m.errors}${m.leader ? '' : ' (standby)'}\n`);
    }, every);
    timer.unref();
    try {
      await r.run(signal);
    } finally {
      clearInterval(timer);
    }
    const m = r.metrics();
    if (f.json) {
      printJsonLine(io, { stopped: { published: m.published, errors: m.errors } });
      return;
    }
    io.stdout(`stopped: published ${m.published}, errors ${m.errors}\n`);
  } finally {
    await r.close();
  }
}

/** `zhichi relay`: publishes stored events to a message broker (transactional outbox). */
export function register(program: Command, io: CliIO): void {
  program
    .command('relay')
    .description('publish every stored result to NATS JetStream, BullMQ (Redis) or RabbitMQ, in order, once per key; follows new events until stopped')
    .option('--to <url>', `broker: nats://host:4222, redis://host:6379 or amqp://user:pass@host:5672 (env ${RELAY_ENV.to})`)
    .option('--db <path|url>', 'event store: SQLite file or postgres:// URL (env ZHICHI_DB, default ./zhichi-events.db)')
    .option('--name <name>', 'cursor name; relays with one name share the work, one publishing at a time (default "default")')
    .option('--stream <name>', 'JetStream stream, created if missing (default ZHICHI_RESULTS)')
    .option('--subject-prefix <prefix>', 'NATS subject / AMQP routing-key prefix, the task id is appended (default zhichi.results)')
    .option('--queue <name>', 'BullMQ queue (default zhichi-results); for RabbitMQ a durable queue bound to the exchange')
    .option('--exchange <name>', 'RabbitMQ topic exchange (default zhichi.results)')
    .option('--batch <n>', 'events per batch and cursor write (default 500)', intFlag('--batch', 1, 10_000))
    .option('--stats-every <ms>', 'print metrics this often while following (default 10000)', intFlag('--stats-every', 100, 3_600_000))
    .option('--once', 'publish the backlog and exit')
    .option('--status', 'print the cursor, backlog, lag and errors from the store and exit (no broker needed)')
    .action(async (_o: unknown, cmd: Command) => {
      await relay(globals(cmd) as RelayFlags, io);
    });
}
