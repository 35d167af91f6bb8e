// One measured run of the campaign benchmark, in its own process so its peak RSS is its own.
// Usage: npx tsx bench/campaign-sim/run.ts ours|naive [contacts] [robots]
import { request } from 'undici';
import { startEmulator } from '../../src/emulator/index.js';
import { runNaive } from './naive.js';

const kind = process.argv[2] ?? 'ours';
const N = Number(process.argv[3] ?? 1_000_000);
const ROBOTS = Number(process.argv[4] ?? 50);
const START = Date.UTC(2026, 0, 4, 16, 0); // Monday 00:00 Asia/Shanghai
const DAY = 86_400_000;
const TASK = {
  taskName: 'bench',
  templateId: '0c565ba214064f82a7071b25030f78a7',
  robotNum: ROBOTS,
  taskCronList: [{ begin: '09:00', end: '20:00' }],
  taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 3 }],
  aniList: ['01052226451', '16512999105'],
  timeType: 1,
  pushFlag: 0,
};
const phone = (i: number) => `13${String(100_000_000 + i).slice(-9)}`;
const mb = (b: number) => Math.round(b / 1024 / 1024);

async function ours() {
  const emu = await startEmulator({ robotCount: ROBOTS, clock: { mode: 'manual', start: START }, expiresIn: 10 * 365 * 86_400, env: {} });
  const call = async (method: 'GET' | 'POST', path: string, token: string, body?: unknown) => {
    const res = await request(emu.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const env = (await res.body.json()) as { code: number; message: string; content: any };
    if (env.code !== 200) throw new Error(`${path}: ${env.code} ${env.message}`);
    return env.content;
  };
  const token = (await call('GET', 'tokens?apiKey=demo-key&apiSecret=demo-secret', '')).accessToken as string;
  const t0 = performance.now();
  const { taskId } = await call('POST', 'companies/demo-company/tasks', token, TASK);
  // Load through the API as a user would: 1000 contacts per request, 4 requests in flight.
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const from = next;
      next += 1000;
      const contactList = [];
      for (let i = from; i < Math.min(N, from + 1000); i++) contactList.push({ outId: `o${i}`, telephone: phone(i) });
      await call('POST', `companies/demo-company/tasks/${taskId}/task-contacts`, token, { taskId, contactList });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const t1 = performance.now();
  let days = 0;
  let info: any;
  for (;;) {
    await emu.advance(DAY);
    days++;
    info = await call('GET', `companies/demo-company/tasks/${taskId}`, token);
    if (info.statusName === 'FINISHED') break;
    if (days > 365) throw new Error('did not finish in a year of virtual time');
  }
  const t2 = performance.now();
  const stats = emu.stats() as any;
  // Spot-check that the results are really there.
  const page = await call('POST', `companies/demo-company/tasks/${taskId}/dialing-results`, token, { pageNo: 100, pageSize: 100 });
  const last = await call('GET', `companies/demo-company/tasks/${taskId}/reference-task-contacts/o${N - 1}`, token);
  await emu.close();
  return {
    kind: 'ours', contacts: info.contactCount, calls: info.callCount, answered: info.answeredCount, virtualDays: days,
    loadMs: Math.round(t1 - t0), simulateMs: Math.round(t2 - t1), totalMs: Math.round(t2 - t0),
    maxRssMB: mb(stats.memory.maxRss), rssAfterMB: mb(process.memoryUsage.rss()),
    check: { pageItems: page.list.length, lastContactStatus: last.statusName },
  };
}

const out = kind === 'naive' ? await runNaive(N, ROBOTS, START) : await ours();
process.stdout.write(`${JSON.stringify(out)}\n`);
