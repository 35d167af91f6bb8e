// Issue 12 #5-#7: files as Chinese users have them, and an import checkpoint per task. Through the real
// program (`run` of src/cli/main.ts) against the emulator on an ephemeral port.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { detectEncoding } from '../src/import/sources.js';
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
