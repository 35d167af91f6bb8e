// One measured import, in its own process so that its peak RSS is its own:
//   node --import tsx bench/contact-import/child.ts <ours|baseline> <file> <baseUrl> <taskId>
// Prints one JSON line: rows, valid, sent, ms, rowsPerSec, peakRssMB.
import { readFileSync, rmSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ZhichiClient } from '../../src/client.js';
import { contactItem, MAX_CONTACTS_PER_REQUEST, type ValidContact } from '../../src/contract/index.js';
import { importContacts } from '../../src/import/index.js';

const [mode, file, baseUrl, taskId] = process.argv.slice(2) as [string, string, string, string];
const client = new ZhichiClient({ apiKey: 'bench-key', apiSecret: 'bench-secret-value', companyId: 'bench-company', baseUrl, env: {} });
await client.robots.count(); // token minted before the clock starts, as for both runs
const started = performance.now();
let rows = 0;
let valid = 0;
let sent = 0;

if (mode === 'ours') {
  const rejectsFile = `${file}.${process.pid}.rejects.csv`;
  const s = await importContacts({ client, taskId, file, checkpointFile: false, rejectsFile });
  rmSync(rejectsFile, { force: true });
  rows = s.rows;
  valid = s.valid;
  sent = s.sent;
} else {
  // The baseline: read the whole file, parse it, validate every row, then post the chunks.
  const text = readFileSync(file, 'utf8');
  const records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  const header = records[0]!;
  const iOut = header.indexOf('outId');
  const iTel = header.indexOf('telephone');
  const contacts: ValidContact[] = [];
  const seen = new Set<string>();
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    rows++;
    if (rec.length !== header.length) continue;
    const c: Record<string, unknown> = {};
    header.forEach((h, i) => (c[h] = rec[i]));
    c.outId = rec[iOut];
    c.telephone = rec[iTel];
    const p = contactItem.safeParse(c);
    if (!p.success || seen.has(p.data.outId)) continue;
    seen.add(p.data.outId);
    contacts.push(p.data);
  }
  valid = contacts.length;
  const chunks: ValidContact[][] = [];
  for (let i = 0; i < contacts.length; i += MAX_CONTACTS_PER_REQUEST) chunks.push(contacts.slice(i, i + MAX_CONTACTS_PER_REQUEST));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        await client.contacts.add(taskId, chunk);
        sent += chunk.length;
      }
    }),
  );
}
const ms = performance.now() - started;
await client.close();

/**
 * Peak RSS of this process, MB. On Linux, getrusage's maxRSS (process.resourceUsage) also keeps the
 * high-water mark of the memory copied from the parent at fork, before exec: spawned by the bench,
 * whose emulator grows with every import, a late child reported the parent's size (an 8th run: 237 MB
 * by maxRSS, 136 MB its own). VmHWM is this process's own peak.
 */
function peakRssMB(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Math.round(Number(hwm[1]) / 1024);
  } catch {
    // not Linux: maxRSS
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
process.stdout.write(
  JSON.stringify({ mode, rows, valid, sent, ms: Math.round(ms), rowsPerSec: Math.round((rows * 1000) / ms), peakRssMB: peakRssMB() }) + '\n',
);
