// Issue 12 #5-#7: files as Chinese users have them, and an import checkpoint per task. Through the real
// program (`run` of src/cli/main.ts) against the emulator on an ephemeral port.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { detectEncoding } from '../src/import/sources.js';
import { defaultCheckpointPath } from '../src/import/index.js';
import { envFor, quietTask, startTestEmulator, tempDir, zhichi } from './cli-helpers.js';

/**
 * GBK bytes of `text`, from a byte table built by decoding every GBK double-byte code with the WHATWG
 * decoder (Node has no GBK encoder; this table is the encoding's own definition, read backwards).
 */
function gbk(text: string): Buffer {
  const table = new Map<string, number[]>();
  const d = new TextDecoder('gbk');
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const ch = d.decode(Uint8Array.of(lead, trail));
      if (ch.length === 1 && ch !== '\ufffd' && !table.has(ch)) table.set(ch, [lead, trail]);
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else {
      const bytes = table.get(ch);
      if (!bytes) throw new Error(`no GBK code for ${ch}`);
      out.push(...bytes);
    }
  }
  return Buffer.from(out);
}

let emu: EmulatorHandle;
let env: Record<string, string>;
beforeAll(async () => {
  emu = await startTestEmulator();
  env = envFor(emu);
});
afterAll(async () => {
  await emu.close();
});

async function newTask(name: string): Promise<string> {
  const dir = tempDir();
  try {
    writeFileSync(join(dir.dir, 'task.json'), JSON.stringify(quietTask(name)));
    const r = await zhichi(['tasks', 'create', '--file', join(dir.dir, 'task.json'), '--json'], { env });
    expect(r.code, r.err).toBe(0);
    return (JSON.parse(r.out) as { taskId: string }).taskId;
  } finally {
    dir.cleanup();
  }
}

describe('GBK CSV without --encoding (issue 12 #5)', () => {
  it('is detected, decoded as GB18030 and imported, and the user is told on stderr', async () => {
    const t = tempDir();
    try {
      const taskId = await newTask('gbk');
      const file = join(t.dir, '客户.csv');
      const bytes = gbk('编号,手机号,姓名,城市\r\nk1,13800000001,张三,北京\r\nk2,13800000002,李四,上海\r\n');
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
      writeFileSync(file, bytes);
      const r = await zhichi(['contacts', 'import', '--task', taskId, '--file', file, '--json'], { env });
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ valid: 2, added: 2, mapping: { phoneColumn: '手机号', outIdColumn: '编号' } });
      expect(r.err).toMatch(/import: .*客户\.csv: not UTF-8; detected GB\w+; reading it as gb18030 \(give --encoding to choose another\)/);
      const c = await zhichi(['contacts', 'get', '--task', taskId, '--out-id', 'k2', '--json'], { env });
      expect(JSON.parse(c.out)).toMatchObject({ variables: { 姓名: '李四', 城市: '上海' } });
    } finally {
      t.cleanup();
    }
  });

  it('detection: BOMs, valid UTF-8 (nothing to tell), GBK, and a cut multi-byte character at the sample end', () => {
    expect(detectEncoding(Buffer.from('\ufeffa,b\n'))).toEqual({ name: 'utf-8', reason: null });
    expect(detectEncoding(Buffer.from('手机号,姓名\n'))).toEqual({ name: 'utf-8', reason: null });
    expect(detectEncoding(Buffer.from('手机号').subarray(0, 8))).toEqual({ name: 'utf-8', reason: null });
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x61, 0x00]))).toMatchObject({ name: 'utf-16le' });
    expect(detectEncoding(gbk('手机号,姓名\n13800000001,张三\n'))).toMatchObject({ name: 'gb18030' });
  });
});

describe('import checkpoint per task, reject file, unknown task (issue 12 #7)', () => {
  it('importing the same file into another task leaves the first task\'s checkpoint alone', async () => {
    const t = tempDir();
    try {
      const right = await newTask('right');
      const wrong = await newTask('wrong');
      const file = join(t.dir, 'people.csv');
      writeFileSync(file, 'outId,phone\na1,13800000001\na2,13800000002\n');
      expect((await zhichi(['contacts', 'import', '--task', right, '--file', file, '--json'], { env })).code).toBe(0);
      expect((await zhichi(['contacts', 'import', '--task', wrong, '--file', file, '--json'], { env })).code).toBe(0);
      expect(existsSync(defaultCheckpointPath(file, right))).toBe(true);
      expect(existsSync(defaultCheckpointPath(file, wrong))).toBe(true);
      // Back to the right task: its checkpoint is still there and says the file is done.
      const again = await zhichi(['contacts', 'import', '--task', right, '--file', file, '--json'], { env });
      expect(JSON.parse(again.out)).toMatchObject({ alreadyComplete: true, sent: 0 });
      expect(again.err).not.toMatch(/ignored/);
    } finally {
      t.cleanup();
    }
  });

  it('a task that does not exist: says so, advises no resume, leaves no checkpoint and no header-only reject file', async () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'people.csv');
      writeFileSync(file, 'outId,phone\na1,13800000001\na2,13800000002\n');
      const r = await zhichi(['contacts', 'import', '--task', 'ffffffffffffffffffffffffffffffff', '--file', file], { env });
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/error: import stopped: task ffffffffffffffffffffffffffffffff does not exist \(.*\); check --task \(zhichi tasks list shows the tasks\)/);
      expect(r.err).not.toMatch(/rerun|resume/);
      expect(readdirSync(t.dir).sort()).toEqual(['people.csv']);
    } finally {
      t.cleanup();
    }
  });

  it('a failed import with no rejected row removes the header-only reject file (a resume recreates it)', async () => {
    const t = tempDir();
    const taskId = await newTask('faulty');
    try {
      const file = join(t.dir, 'people.csv');
      writeFileSync(file, 'outId,phone\n' + Array.from({ length: 30 }, (_, i) => `b${i},138${String(i).padStart(8, '0')}`).join('\n') + '\n');
      // Every add-contacts call answers 400: not retried, the import stops with a checkpoint.
      emu.setFaults({ endpoints: ['addContacts'], errorRate: 1, errorStatus: 400 });
      let r;
      try {
        r = await zhichi(['contacts', 'import', '--task', taskId, '--file', file, '--chunk-size', '10'], { env });
      } finally {
        emu.setFaults({});
      }
      expect(r.code).not.toBe(0);
      expect(existsSync(`${file}.rejects.csv`)).toBe(false);
      const done = await zhichi(['contacts', 'import', '--task', taskId, '--file', file, '--chunk-size', '10', '--json'], { env });
      expect(done.code, done.err).toBe(0);
      expect(JSON.parse(done.out)).toMatchObject({ valid: 30, rejected: 0 });
      expect(existsSync(`${file}.rejects.csv`)).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});

describe('XLSX dates and template variables (issue 12 #6)', () => {
  it('date and time cells arrive as the text Excel shows, and missing template variables are warned about', async () => {
    const t = tempDir();
    try {
      // Template a94d…: variables name, amount, dueDate (the emulator's seeded templates).
      writeFileSync(join(t.dir, 'task.json'), JSON.stringify({ ...quietTask('xlsx'), templateId: 'a94d27c1e8b34f60a2d5c7e9f1b30864' }));
      const created = await zhichi(['tasks', 'create', '--file', join(t.dir, 'task.json'), '--json'], { env });
      const taskId = (JSON.parse(created.out) as { taskId: string }).taskId;

      const ExcelJS = (await import('exceljs')).default;
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('客户');
      ws.addRow(['编号', '手机号', 'name', 'dueDate', 'callTime', 'paidAt', 'plain']);
      // A date as Excel stores it (a serial number) with a date format, as a Date, a time, a date-time, a number.
      const serial = Date.UTC(2026, 11, 9) / 86_400_000 + 25_569;
      const r1 = ws.addRow(['x1', '13800000001', '张三', serial, 0.395833333333, new Date(Date.UTC(2026, 11, 9, 9, 30, 15)), 46366]);
      const r2 = ws.addRow(['x2', '13800000002', '李四', new Date(Date.UTC(2027, 0, 31)), 0.75, serial + 0.5, 7]);
      for (const r of [r1, r2]) {
        r.getCell(4).numFmt = 'yyyy"年"m"月"d"日"';
        r.getCell(5).numFmt = 'hh:mm';
        r.getCell(6).numFmt = 'yyyy-mm-dd hh:mm:ss';
      }
      const file = join(t.dir, 'book.xlsx');
      await wb.xlsx.writeFile(file);

      const r = await zhichi(['contacts', 'import', '--task', taskId, '--file', file, '--json'], { env });
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/import: warning: the task's template uses \{amount\}, but .*book\.xlsx has no such column \(columns: 编号, 手机号, name, dueDate, callTime, paidAt, plain\)/);
      const x1 = JSON.parse((await zhichi(['contacts', 'get', '--task', taskId, '--out-id', 'x1', '--json'], { env })).out) as { variables: Record<string, unknown> };
      expect(x1.variables).toMatchObject({ name: '张三', dueDate: '2026-12-09', callTime: '09:30', paidAt: '2026-12-09 09:30:15' });
      expect(String(x1.variables['plain'])).toBe('46366');
      const x2 = JSON.parse((await zhichi(['contacts', 'get', '--task', taskId, '--out-id', 'x2', '--json'], { env })).out) as { variables: Record<string, unknown> };
      expect(x2.variables).toMatchObject({ dueDate: '2027-01-31', callTime: '18:00', paidAt: '2026-12-09 12:00:00' });
    } finally {
      t.cleanup();
    }
  });
});
