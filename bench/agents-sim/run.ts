// One measured run of the Agents campaign benchmark, in its own process so its peak RSS is its own.
// Usage: npx tsx bench/agents-sim/run.ts ours|naive [customers] [robots]
import { AgentsClient } from '../../src/agents/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import { runNaive } from '../campaign-sim/naive.js';

const kind = process.argv[2] ?? 'ours';
const N = Number(process.argv[3] ?? 1_000_000);
const ROBOTS = Number(process.argv[4] ?? 50);
const START = Date.UTC(2026, 0, 4, 16, 0); // Monday 00:00 Asia/Shanghai
const DAY = 86_400_000;
const CREDS = { appKey: 'bench-app-key', appSecret: 'bench-app-secret', tenantSign: 'bench-tenant' };
// The V5 seed's NOT_CONNECTED redial rule in Agents names: the same calls as the baseline.
const NOT_CONNECTED = ['NO_ANSWER', 'BUSY', 'POWER_OFF', 'OUT_OF_SERVICE', 'REFUSED', 'CAN_NOT_CONNECT', 'SYSTEM_ERROR'];
const phone = (i: number) => `13${String(100_000_000 + i).slice(-9)}`;
const mb = (b: number) => Math.round(b / 1024 / 1024);

async function ours() {
  const emu = await startEmulator({ robotCount: ROBOTS, clock: { mode: 'manual', start: START }, env: {}, agents: CREDS });
  // Signatures are checked against the emulator's clock, which this run moves by days.
  const agents = new AgentsClient({ ...CREDS, baseUrl: emu.agentsUrl, clock: emu.clock, env: {}, timeoutMs: 120_000, importConcurrency: 4 });
  const t0 = performance.now();
  const { robotCallJobId } = await agents.jobs.create({
    robotCallJob: {
      name: 'bench', dialogFlowId: 11, mode: 'MANUAL', dailyStartTime: '09:00', dailyEndTime: '20:00', robotCount: ROBOTS, phoneType: 'LANDLINE',
      redialCondition: NOT_CONNECTED, redialInterval: 60, redialTimes: 1,
    },
    concurrencyQuota: ROBOTS,
    jobPhoneNumberIdList: [501],
  });
  // Load through the API as a user would: importCustomerAsync splits into calls of 10,000, 4 in flight.
  const people = Array.from({ length: N }, (_, i) => ({ phoneNumber: phone(i) }));
  const imp = await agents.customers.importAsync(robotCallJobId, people);
  await agents.jobs.start(robotCallJobId);
  const t1 = performance.now();
  let days = 0;
  for (;;) {
    await emu.advance(DAY);
    days++;
    const j = await agents.jobs.findByName('bench');
    if (j?.status === 'COMPLETED') break;
    if (days > 365) throw new Error('did not finish in a year of virtual time');
  }
  const t2 = performance.now();
  const stats = await agents.jobs.stats(robotCallJobId);
  const es = emu.stats() as { memory: { maxRss: number } };
  // Spot-check that the records are really there: one page deep in the list.
  const page = await agents.records.list({ robotCallJobId, pageNum: 5000, pageSize: 20 });
  const callbacks = emu.agentsStats().callbacks as Record<string, number>;
  await emu.close();
  return {
    kind: 'ours', contacts: stats.customerNumber, calls: stats.taskCallTotal, answered: stats.totalAnsweredCall, virtualDays: days,
    loadMs: Math.round(t1 - t0), simulateMs: Math.round(t2 - t1), totalMs: Math.round(t2 - t0),
    maxRssMB: mb(es.memory.maxRss), rssAfterMB: mb(process.memoryUsage.rss()),
    check: { importCalls: imp.batchIds.length, pageItems: page.content.length, recordCallbacks: callbacks.ROBOT_CALL_RECORD ?? 0, importCallbacks: callbacks.API_ROBOT_CALL_JOB_IMPORT_RESULT ?? 0 },
  };
}

const out = kind === 'naive' ? await runNaive(N, ROBOTS, START) : await ours();
process.stdout.write(`${JSON.stringify(out)}\n`);
