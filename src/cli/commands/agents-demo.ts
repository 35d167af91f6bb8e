import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AgentsClient } from '../../agents/client.js';
import { startEmulator, type EmulatorHandle } from '../../emulator/index.js';
import { importContacts, type ImportSummary } from '../../import/index.js';
import { abortableDelay as sleep } from '../../internal/delay.js';
import { registerSecret } from '../../internal/redact.js';
import { createPushReceiver, nodeHandler, type PushReceiver } from '../../push/index.js';
import { CliError, EXIT, type CliIO } from '../io.js';
import { formatInt, formatTime } from '../output.js';
import { importProgress } from '../progress.js';
import { agentsContactSink } from './agents.js';
import { closeDemo, prepareDemo, reportDemo, writeDemoContacts, type DemoOptions, type DemoSummary } from './demo.js';

/** Demo credentials of the emulator's Agents surface (never the user's ZHICHI_AGENTS_* settings). */
const DEMO_CREDS = { appKey: 'demo-app-key', appSecret: 'demo-app-secret', tenantSign: 'demo-tenant' };

/** 08:55 today in Shanghai, so the task's 09:00 window opens a few virtual minutes after the start. */
function demoStart(now = Date.now()): number {
  const d = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  return Date.parse(`${d}T08:55:00+08:00`);
}

/**
 * `zhichi demo --api agents`: the demo campaign on the Agents API. Emulator (real clock × speed),
 * receiver with its Agents callback path, a MANUAL task with one redial on NO_ANSWER/BUSY, the same
 * generated contact file through the same streaming importer, start, the campaign to COMPLETED,
 * and a summary cross-checking getCallRecordInfoList against the callbacks stored.
 */
export async function runAgentsDemo(options: DemoOptions, io: CliIO, json = false): Promise<DemoSummary> {
  const { o, say, realStart, dir, database } = await prepareDemo(options, io, json, 'zhichi-agents-demo-');
  let emu: EmulatorHandle | undefined;
  let receiver: PushReceiver | undefined;
  let server: Server | undefined;
  try {
    const virtualStart = demoStart();
    emu = await startEmulator({
      env: {}, seed: o.seed, robotCount: Math.max(10, o.robots), clock: { mode: 'real', speed: o.speed, start: virtualStart },
      push: { duplicateRate: o.duplicateRate, reorderRate: o.reorderRate }, agents: DEMO_CREDS,
    });
    say(`emulator  ${emu.agentsUrl}apiOpen/v1/  (Agents API, virtual clock ×${o.speed}, starts ${formatTime(virtualStart)} Asia/Shanghai)\n`);
    const secret = randomBytes(24).toString('hex');
    registerSecret(secret);
    receiver = await createPushReceiver({ secret, store: database, agentsPath: '/agents', env: {} });
    const srv = createServer(nodeHandler(receiver));
    server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve());
    });
    const receiverUrl = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/agents`;
    say(`receiver  ${receiverUrl}/[REDACTED]  (SQLite ${database})\n`);
    const agents = new AgentsClient({ ...DEMO_CREDS, baseUrl: emu.agentsUrl, clock: emu.clock, env: {} });
    await agents.account.setCallbackUrl(`${receiverUrl}/${secret}`);
    const [scripts, lines] = await Promise.all([agents.scripts.list(), agents.account.lines()]);
    const script = scripts.find((s) => s.status === 'APPROVED')!;
    const line = lines[0]!;
    say(`tenant    ${scripts.length} scripts, ${lines.length} lines; using "${script.name}" on ${line.phoneName ?? line.tenantPhoneNumberId}\n`);
    const name = `demo-${new Date(virtualStart).toISOString().slice(0, 10)}-${o.seed}`;
    const { robotCallJobId } = await agents.jobs.create({
      robotCallJob: {
        name, dialogFlowId: script.dialogFlowId, mode: 'MANUAL', dailyStartTime: '09:00', dailyEndTime: '20:00', robotCount: o.robots, phoneType: 'LANDLINE',
        inactiveTimeList: [{ startTime: '12:00', endTime: '13:00' }], redialCondition: ['NO_ANSWER', 'BUSY'], redialInterval: 60, redialTimes: 1,
      },
      concurrencyQuota: o.robots,
      jobPhoneNumberIdList: [line.tenantPhoneNumberId],
    });
    const taskId = String(robotCallJobId);
    say(`task      ${taskId}  "${name}" (MANUAL), ${o.robots} AI seats, 09:00-20:00 without 12:00-13:00, 1 redial after 60 min on NO_ANSWER/BUSY\n`);
    const file = join(dir, 'contacts.csv');
    await writeDemoContacts(file, o.contacts, o.bad, o.seed);
    const view = json ? undefined : importProgress(io, 'import', 1000);
    let imp: ImportSummary;
    try {
      imp = await importContacts({ client: agentsContactSink(agents), taskId, file, restart: true, signal: io.signal, onProgress: view ? (p) => view.update(p) : undefined });
    } finally {
      view?.stop();
    }
    say(`import    ${formatInt(imp.rows)} rows: ${formatInt(imp.added)} sent, ${formatInt(imp.rejected)} rejected (${imp.rejectsFile ?? 'none'})\n`);
    if (imp.interrupted) throw new CliError('demo interrupted', EXIT.INTERRUPTED);
    await agents.jobs.start(robotCallJobId);

    const deadline = Date.now() + o.timeoutSec * 1000;
    let status = '';
    let lastLine = '';
    for (;;) {
      if (io.signal?.aborted) throw new CliError('demo interrupted', EXIT.INTERRUPTED);
      const [job, stats] = await Promise.all([agents.jobs.findByName(name), agents.jobs.stats(robotCallJobId)]);
      status = String(job?.status ?? '');
      const line = `campaign  ${formatTime(emu.clock.now()).slice(5, 16)}  ${status}  completed ${formatInt(stats.taskTotalCompleted ?? 0)}/${formatInt(stats.customerNumber ?? 0)}  calls ${formatInt(stats.taskCallTotal ?? 0)}  callbacks stored ${formatInt(receiver.stats().stored)}`;
      if (!json) {
        if (io.isTTY) io.stderr(`\r\x1b[2K${line}`);
        else if (line !== lastLine) io.stderr(`${line}\n`);
      }
      lastLine = line;
      if (status === 'COMPLETED') break;
      if (Date.now() > deadline) throw new CliError(`demo: the campaign did not finish within ${o.timeoutSec} s (status ${status}); try a higher --speed`, EXIT.ERROR);
      await sleep(io.isTTY ? 100 : 500, io.signal);
    }
    if (!json && io.isTTY) io.stderr('\n');
    const virtualEnd = emu.clock.now();
    const stats = await agents.jobs.stats(robotCallJobId);
    const expected = stats.taskCallTotal ?? 0;
    const storedRecords = async () => (await receiver!.store.query({ taskId, limit: 10_000_000 })).filter((e) => e.eventType === 'ROBOT_CALL_RECORD').length;
    let stored = 0;
    for (const until = Date.now() + 30_000; ;) {
      await emu.drainPushes();
      await receiver.drain();
      stored = await storedRecords();
      if (stored >= expected || Date.now() > until || io.signal?.aborted) break;
      await sleep(100, io.signal);
    }
    const outcomes: Record<string, number> = {};
    const intents: Record<string, number> = {};
    const dialed = new Set<string>();
    const answered = new Set<string>();
    let calls = 0;
    let redials = 0;
    for await (const r of agents.records.iterate({ robotCallJobId })) {
      calls++;
      if ((r.redialTimes ?? 0) > 0) redials++;
      dialed.add(r.calledPhoneNumber);
      outcomes[r.resultStatus] = (outcomes[r.resultStatus] ?? 0) + 1;
      if (r.resultStatus === 'ANSWERED') answered.add(r.calledPhoneNumber);
      const level = r.intentLevelName?.slice(0, 1);
      if (level) intents[level] = (intents[level] ?? 0) + 1;
    }
    const ps = (emu.stats() as { pushes?: Record<string, number> }).pushes ?? {};
    const contacts = stats.customerNumber ?? 0;
    const summary: DemoSummary = {
      dir, emulatorUrl: emu.agentsUrl, receiverUrl, database, taskId, taskStatus: status,
      import: { rows: imp.rows, valid: imp.valid, rejected: imp.rejected, added: imp.added, rejectsFile: imp.rejectsFile },
      contacts, dialed: dialed.size, answered: answered.size, answeredPct: contacts ? Math.round((answered.size / contacts) * 1000) / 10 : 0,
      calls, redials, outcomes, intents,
      pushes: { sent: ps.pushes ?? 0, duplicatesSent: ps.duplicates ?? 0, reordered: ps.reordered ?? 0, attempts: ps.attempts ?? 0, stored, duplicatesDropped: receiver.stats().duplicates },
      virtualStart, virtualEnd, realMs: Date.now() - realStart,
      consistent: stored === calls && calls === expected && dialed.size === contacts,
    };
    return reportDemo(io, json, summary);
  } finally {
    await closeDemo(emu, server, receiver);
  }
}
