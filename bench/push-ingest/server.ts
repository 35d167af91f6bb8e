// One server of the push-ingest bench, in its own process: `bare` (node:http, reads the body, answers
// 200, stores nothing) or the receiver on `sqlite` / `postgres`. Prints "LISTENING <url>" when ready and
// "STATS <json>" on SIGTERM before exiting.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPushReceiver, type PushReceiver } from '../../src/push/receiver.js';
import { nodeHandler } from '../../src/push/adapters/node.js';

const [mode = 'bare', location = '', secret = ''] = process.argv.slice(2);
const ACK = JSON.stringify({ code: 200, message: 'success' });

let receiver: PushReceiver | undefined;
const server =
  mode === 'bare'
    ? createServer((req, res) => {
        // Read the whole body like a real handler would, then answer: the baseline without storage.
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          Buffer.concat(chunks);
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(ACK) });
          res.end(ACK);
        });
      })
    : createServer(
        nodeHandler(
          (receiver = await createPushReceiver({
            secret,
            store: location,
            // Tuning knobs for experiments; the defaults are what users get.
            ...(process.env['BENCH_INFLIGHT'] || process.env['BENCH_BATCH']
              ? { groupCommit: { ...(process.env['BENCH_INFLIGHT'] ? { maxInFlight: Number(process.env['BENCH_INFLIGHT']) } : {}), ...(process.env['BENCH_BATCH'] ? { maxBatch: Number(process.env['BENCH_BATCH']) } : {}) } }
              : {}),
            ...(process.env['BENCH_POOL'] ? { storeOptions: { poolSize: Number(process.env['BENCH_POOL']) } } : {}),
            ...(process.env['BENCH_DURABILITY'] ? { storeOptions: { sqliteDurability: process.env['BENCH_DURABILITY'] as 'fsync' | 'process' } } : {}),
          })),
        ),
      );

server.keepAliveTimeout = 60_000;
// CPU spent before serving (tsx compiling the sources, opening the store) is not per-event cost: the
// figures reported are the CPU used from here on.
let startCpu: NodeJS.CpuUsage | undefined;
server.listen(0, '127.0.0.1', () => {
  startCpu = process.cpuUsage();
  process.stdout.write(`LISTENING http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', async () => {
  server.close();
  server.closeAllConnections();
  const cpu = process.cpuUsage(startCpu);
  let stats: Record<string, unknown> = { cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 };
  if (receiver) {
    await receiver.drain();
    stats = { ...stats, ...receiver.stats(), count: await receiver.store.count() };
    await receiver.close();
  }
  process.stdout.write(`STATS ${JSON.stringify(stats)}\n`);
  process.exit(0);
});
