// Helpers of the CLI and import tests: a capturing CliIO and an emulator on an ephemeral port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIO } from '../src/cli/io.js';
import { run } from '../src/cli/main.js';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../src/emulator/index.js';

/** A fixed emulator time: 2026-11-25 01:00 UTC (09:00 in Shanghai). */
export const T0 = Date.UTC(2026, 10, 25, 1, 0, 0);

/** What one in-process run of `zhichi` printed and returned. */
export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** A CliIO that keeps everything written. */
export function captureIO(over: Partial<CliIO> = {}): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    env: {},
    cwd: tmpdir(),
    isTTY: false,
    ...over,
    out: () => out,
    err: () => err,
  };
}

/** Runs `zhichi argv` in process. */
export async function zhichi(argv: string[], over: Partial<CliIO> = {}): Promise<RunResult> {
  const io = captureIO(over);
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** The emulator's credentials as the env of a CLI run. */
export function envFor(emu: EmulatorHandle, extra: Record<string, string> = {}): Record<string, string> {
  return { ZHICHI_KEY: 'cli-key', ZHICHI_SECRET: 'cli-secret-value-0123', ZHICHI_COMPANY_ID: emu.companyId, ZHICHI_BASE_URL: emu.url, ...extra };
}

/** An emulator with a manual clock at T0 and the credentials of {@link envFor}. */
export function startTestEmulator(over: EmulatorOptions = {}): Promise<EmulatorHandle> {
  return startEmulator({ apiKey: 'cli-key', apiSecret: 'cli-secret-value-0123', companyId: 'cli-company', env: {}, clock: { mode: 'manual', start: T0 }, ...over });
}

/** A fresh temp directory, removed by the returned function. */
export function tempDir(prefix = 'zhichi-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A task whose calls start a day after T0, so contacts stay put while a test looks at them. */
export function quietTask(name = 'cli test task'): Record<string, unknown> {
  return {
    taskName: name,
    templateId: '0c565ba214064f82a7071b25030f78a7',
    robotNum: 2,
    taskCronList: [{ begin: '09:00', end: '20:00' }],
    aniList: ['01052226451'],
    timeType: 2,
    startTime: T0 + 86_400_000,
    endTime: T0 + 2 * 86_400_000,
  };
}
