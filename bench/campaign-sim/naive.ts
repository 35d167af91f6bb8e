// Baseline for the campaign benchmark: the same dialer rules with a naive store — one object per
// contact and one full call-record object per call (what the API returns), kept in arrays and
// maps. Same outcome function and calendar as the emulator, so both runs make the same calls.
import { CALL_RESULT, RETRY_CONDITION, callResultName } from '../../src/contract/index.js';
import { WindowCalendar, ZoneOffsets } from '../../src/emulator/calendar.js';
import { intentLabel, outcomeFor, type Outcome } from '../../src/emulator/outcomes.js';

interface Rec {
  companyId: string; taskId: string; taskName: string; outId: string; telephone: string; callId: string; attempt: number;
  callResult: number; callResultName: string; startTime: number; answerTime: number | null; endTime: number;
  ringDuration: number; talkDuration: number; intent: string | null; hangupBy: number; aniNumber: string;
}
interface Contact { index: number; outId: string; telephone: string; status: string; attempts: number; nextCall: number; redials: number; calls: Rec[] }
interface Active { end: number; contact: Contact; attempt: number; start: number; o: Outcome; order: number }

export async function runNaive(N: number, robots: number, start: number) {
  const taskId = 'f'.repeat(32);
  const t0 = performance.now();
  const contacts: Contact[] = [];
  const byOutId = new Map<string, Contact>();
  for (let i = 0; i < N; i++) {
    const c: Contact = { index: i, outId: `o${i}`, telephone: `13${String(100_000_000 + i).slice(-9)}`, status: 'WAITING', attempts: 0, nextCall: 0, redials: 0, calls: [] };
    contacts.push(c);
    byOutId.set(c.outId, c);
  }
  const t1 = performance.now();
  const cal = new WindowCalendar(new ZoneOffsets('Asia/Shanghai'), [{ begin: 9 * 60, end: 20 * 60 }]);
  const mask = RETRY_CONDITION[3]!.results;
  const records: Rec[] = [];
  const redial: Contact[] = [];
  let redialHead = 0;
  let fresh = 0;
  let active: Active[] = [];
  let order = 0;
  let now = start;
  let finished = 0;
  const ani = ['01052226451', '16512999105'];
  for (;;) {
    // Start calls.
    while (active.length < robots && cal.isOpen(now)) {
      let c: Contact | undefined;
      if (redialHead < redial.length && redial[redialHead]!.nextCall <= now) c = redial[redialHead++];
      else if (fresh < N) c = contacts[fresh++];
      if (!c) break;
      c.attempts++;
      c.status = 'CALLING';
      const o = outcomeFor(1, 0, c.index, c.attempts, { result: 0, ring: 0, talk: 0, intent: -1, hangupBy: 0 });
      active.push({ end: now + (o.ring + o.talk) * 1000, contact: c, attempt: c.attempts, start: now, o, order: order++ });
    }
    if (finished === N) break;
    // Next event: a call end, a redial due, or the window opening.
    let t = Infinity;
    for (const a of active) if (a.end < t) t = a.end;
    if (active.length < robots) {
      const w = fresh < N ? now : redialHead < redial.length ? redial[redialHead]!.nextCall : Infinity;
      if (w < Infinity) t = Math.min(t, cal.nextOpen(Math.max(w, now)) === now ? Infinity : cal.nextOpen(Math.max(w, now)));
    }
    now = t;
    const ending = active.filter((a) => a.end <= now).sort((a, b) => a.end - b.end || a.order - b.order);
    active = active.filter((a) => a.end > now);
    for (const a of ending) {
      const c = a.contact;
      const answered = a.o.result === CALL_RESULT.ANSWERED;
      const rec: Rec = {
        companyId: 'demo-company', taskId, taskName: 'bench', outId: c.outId, telephone: c.telephone,
        callId: taskId.slice(0, 20) + records.length.toString(16).padStart(12, '0'), attempt: a.attempt,
        callResult: a.o.result, callResultName: callResultName(a.o.result), startTime: a.start,
        answerTime: answered ? a.start + a.o.ring * 1000 : null, endTime: a.end, ringDuration: a.o.ring, talkDuration: a.o.talk,
        intent: intentLabel(a.o.intent), hangupBy: a.o.hangupBy, aniNumber: ani[(c.index + a.attempt - 1) % 2]!,
      };
      records.push(rec);
      c.calls.push(rec);
      if (mask.includes(a.o.result) && c.redials < 1) {
        c.redials++;
        c.nextCall = a.end + 60 * 60_000;
        c.status = 'WAITING_REDIAL';
        redial.push(c);
      } else {
        c.status = 'FINISHED';
        finished++;
      }
    }
  }
  const t2 = performance.now();
  const answered = records.filter((r) => r.callResult === CALL_RESULT.ANSWERED).length;
  void byOutId;
  return {
    kind: 'naive', contacts: N, calls: records.length, answered, virtualDays: Math.ceil((now - start) / 86_400_000),
    loadMs: Math.round(t1 - t0), simulateMs: Math.round(t2 - t1), totalMs: Math.round(t2 - t0),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), rssAfterMB: Math.round(process.memoryUsage.rss() / 1024 / 1024),
  };
}
