// bench/relay: events/s the relay publishes from a PostgreSQL store to each broker (NATS JetStream,
// BullMQ, RabbitMQ), against that broker's own raw publish loop over the same messages in the same run
// (ratio); then the relay's lag while events are stored at a sustained rate.
//   npx tsx bench/relay/index.ts [--events 20000] [--rounds 2] [--rate 5000] [--seconds 10] [--only nats,bullmq,amqp]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { connect as natsConnect } from 'nats';
import { Queue } from 'bullmq';
import amqp from 'amqplib';
import { openEventStore, type EventStore } from '../../src/push/store.js';
import type { PostgresEventStore } from '../../src/push/postgres-store.js';
import { createRelay, jobIdOf, messageIdOf, readRelayStatus, taskToken, toMessage, type OutMessage } from '../../src/relay/index.js';
import { BROKER_URLS, dropBroker, makeEvents, prepareBroker, uniqueNames, type BrokerKind, type BrokerNames } from '../../test/fixtures/brokers.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const EVENTS = Number(arg('events', '20000'));
const ROUNDS = Number(arg('rounds', '2'));
const RATE = Number(arg('rate', '5000'));
const SECONDS = Number(arg('seconds', '10'));
const ONLY = arg('only', 'nats,bullmq,amqp').split(',') as BrokerKind[];
const PG_URL = process.env['ZHICHI_BENCH_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const BATCH = 500;
const CLI = fileURLToPath(new URL('../../test/fixtures/zhichi-cli.ts', import.meta.url));

/** The raw loop: the broker's client, the same messages, the same batch of 500 awaited as one. */
async function rawPublish(kind: BrokerKind, n: BrokerNames, msgs: OutMessage[]): Promise<number> {
  if (kind === 'nats') {
    const nc = await natsConnect({ servers: BROKER_URLS.nats.replace('nats://', '') });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: n.stream, subjects: [`${n.prefix}.>`] });
    const js = nc.jetstream();
    const t = performance.now();
    for (let i = 0; i < msgs.length; i += BATCH) {
      await Promise.all(msgs.slice(i, i + BATCH).map((m) => js.publish(`${n.prefix}.${taskToken(m.taskId)}`, m.body, { msgID: m.key })));
    }
    const ms = performance.now() - t;
    await nc.close();
    return ms;
  }
  if (kind === 'bullmq') {
    const q = new Queue(n.queue, { connection: { host: '127.0.0.1', port: 6379 } });
    await q.waitUntilReady();
    const t = performance.now();
    for (let i = 0; i < msgs.length; i += BATCH) {
      await q.addBulk(msgs.slice(i, i + BATCH).map((m) => ({ name: 'result', data: { key: m.key, taskId: m.taskId, event: JSON.parse(m.body.toString('utf8')) as unknown }, opts: { jobId: jobIdOf(m.key) } })));
    }
    const ms = performance.now() - t;
    await q.close();
    return ms;
  }
  const conn = await amqp.connect(BROKER_URLS.amqp);
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange(n.exchange, 'topic', { durable: true });
  const t = performance.now();
  for (let i = 0; i < msgs.length; i += BATCH) {
    for (const m of msgs.slice(i, i + BATCH)) {
      ch.publish(n.exchange, `${n.prefix}.${taskToken(m.taskId)}`, m.body, { persistent: true, messageId: messageIdOf(m.key), contentType: 'application/json' });
    }
    await ch.waitForConfirms();
  }
  const ms = performance.now() - t;
  await conn.close();
  return ms;
}

async function allMessages(store: EventStore): Promise<OutMessage[]> {
  const out: OutMessage[] = [];
  for (let after = 0; ;) {
    const page = await store.query({ afterId: after, limit: 1000 });
    if (page.length === 0) return out;
    for (const e of page) out.push(toMessage({ event: e, position: { tx: '0', id: e.id } }));
    after = page[page.length - 1]!.id;
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const schema = `zhichi_benchrelay_${randomBytes(4).toString('hex')}`;
const location = `${PG_URL}?schema=${schema}`;
const store = await openEventStore(location);
const throughput: Array<{ broker: BrokerKind; raw: number[]; ours: number[] }> = [];
const lag: Array<{ broker: BrokerKind; p50: number; p99: number; max: number; stored: number; catchUpMs: number }> = [];
try {
  for (let i = 0; i < EVENTS; i += 1000) await store.insert(makeEvents(Math.min(1000, EVENTS - i), i));
  const msgs = await allMessages(store);
  for (const broker of ONLY) {
    const row = { broker, raw: [] as number[], ours: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      // Each round: fresh names, raw and ours alternating which goes first.
      const order = round % 2 === 0 ? ['raw', 'ours'] : ['ours', 'raw'];
      for (const which of order) {
        const n = uniqueNames();
        await prepareBroker(broker, n);
        try {
          if (which === 'raw') {
            row.raw.push((EVENTS * 1000) / (await rawPublish(broker, n, msgs)));
          } else {
            const relay = await createRelay({
              store: location, to: BROKER_URLS[broker], name: `bench_${n.queue}`, stream: n.stream, subjectPrefix: n.prefix, queue: n.queue, exchange: n.exchange,
            });
            const t = performance.now();
            const rep = await relay.runOnce();
            const ms = performance.now() - t;
            await relay.close();
            if (rep.published !== EVENTS) throw new Error(`relay published ${rep.published} of ${EVENTS}`);
            row.ours.push((EVENTS * 1000) / ms);
          }
        } finally {
          await dropBroker(broker, n);
        }
      }
    }
    throughput.push(row);
    console.log(`${broker}: raw ${row.raw.map(fmt).join(', ')}; relay ${row.ours.map(fmt).join(', ')} events/s`);
  }

  // Lag: the CLI relay follows (a child process) while this process stores RATE events/s for SECONDS s.
  for (const broker of ONLY) {
    const n = uniqueNames();
    await prepareBroker(broker, n);
    const name = `lag_${n.queue}`;
    // Start at the end of what is stored: only the new events count.
    const seed = await createRelay({ store: location, to: BROKER_URLS[broker], name, stream: n.stream, subjectPrefix: n.prefix, queue: n.queue, exchange: n.exchange });
    await seed.runOnce();
    await seed.close();
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'relay', '--db', location, '--to', BROKER_URLS[broker], '--name', name,
      '--stream', n.stream, '--subject-prefix', n.prefix, '--queue', n.queue, '--exchange', n.exchange], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout!.once('data', () => r()));
    const samples: number[] = [];
    let next = EVENTS + 1_000_000 * (ONLY.indexOf(broker) + 1);
    const start = performance.now();
    const perTick = RATE / 100;
    let stored = 0;
    let tick = 0;
    let sampling = Promise.resolve();
    while (performance.now() - start < SECONDS * 1000) {
      // 100 ticks a second, each storing RATE/100 events in one commit (what group commit does under load).
      const due = start + tick * 10;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await store.insert(makeEvents(perTick, next));
      next += perTick;
      stored += perTick;
      tick++;
      if (tick % 25 === 0) {
        sampling = sampling.then(async () => {
          const s = await readRelayStatus(location, { name });
          samples.push(s.oldestUnpublishedAt === null ? 0 : Math.max(0, Date.now() - s.oldestUnpublishedAt));
        });
      }
    }
    await sampling;
    const stopAt = performance.now();
    for (;;) {
      const s = await readRelayStatus(location, { name });
      if (s.backlog === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const catchUpMs = performance.now() - stopAt;
    const achieved = (stored * 1000) / (stopAt - start);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await dropBroker(broker, n);
    lag.push({ broker, p50: pct(samples, 50), p99: pct(samples, 99), max: Math.max(...samples), stored: achieved, catchUpMs });
    console.log(`${broker}: lag samples ${samples.join(', ')} ms`);
  }
} finally {
  await (store as PostgresEventStore).dropSchema();
  await store.close();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(`\nrelay: ${fmt(EVENTS)} events from PostgreSQL, batch ${BATCH}, ${ROUNDS} rounds (medians), ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| broker | raw publish loop events/s | relay events/s | ratio |');
console.log('|---|---|---|---|');
for (const r of throughput) console.log(`| ${r.broker} | ${fmt(median(r.raw))} | ${fmt(median(r.ours))} | ${(median(r.ours) / median(r.raw)).toFixed(2)} |`);
console.log(`\nlag while storing ${fmt(RATE)} events/s for ${SECONDS} s (sampled from the store every 25 commits, i.e. every 250 ms at the target rate: age of the oldest unpublished event)\n`);
console.log('| broker | stored events/s (achieved) | lag p50 ms | lag p99 ms | lag max ms | caught up after stop ms |');
console.log('|---|---|---|---|---|---|');
for (const l of lag) console.log(`| ${l.broker} | ${fmt(l.stored)} | ${fmt(l.p50)} | ${fmt(l.p99)} | ${fmt(l.max)} | ${fmt(l.catchUpMs)} |`);
