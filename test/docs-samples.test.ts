// Every ```ts / ```js / ```mjs sample of README.md, README.zh-CN.md and docs/*.md runs against an
// emulator, importing the package by its name: a temp dir's node_modules/zhichi-outbound links to this
// repository, so `zhichi-outbound/...` resolves through package.json `exports` to the built dist/
// (run `npx tsup` first). A sample that cannot run by nature carries `<!-- not-run: reason -->` right
// before it; one run by another docs test carries `<!-- run-by: test/<file>.test.ts -->`. Both are
// counted, and an unmarked sample must run.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';

const root = path.resolve(import.meta.dirname, '..');
const tsxLoader = pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('tsx/esm')).href;
const FILES = ['README.md', 'README.zh-CN.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** One fenced sample: where it is, its language, and its marker (if any). */
interface Sample {
  file: string;
  line: number;
  lang: 'ts' | 'js' | 'mjs';
  code: string;
  marker?: { kind: 'not-run' | 'run-by'; text: string };
}

function samplesOf(file: string): Sample[] {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  const out: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|js|mjs)\s*$/.exec(lines[i]!);
    if (!open) {
      if (/^```/.test(lines[i]!)) for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++); // skip other fences whole
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const m = /^<!--\s*(not-run|run-by):\s*(.+?)\s*-->\s*$/.exec(lines[start - 1] ?? '');
    out.push({ file, line: start + 1, lang: open[1] as Sample['lang'], code: body.join('\n') + '\n', ...(m ? { marker: { kind: m[1] as 'not-run' | 'run-by', text: m[2]! } } : {}) });
  }
  return out;
}

const ALL = FILES.flatMap(samplesOf);
const RUNNABLE = ALL.filter((s) => s.marker === undefined);

let dir: string;
beforeAll(() => {
  if (!existsSync(path.join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npx tsup` before this test');
  dir = mkdtempSync(path.join(tmpdir(), 'zhichi-docs-'));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(root, path.join(dir, 'node_modules', 'zhichi-outbound'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module","private":true}\n');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The next 09:00 Asia/Shanghai after now: the README task's windows open as the sample starts. */
function next0900Shanghai(now = Date.now()): number {
  const day = Math.floor((now + 8 * 3_600_000) / 86_400_000) * 86_400_000 - 8 * 3_600_000; // 00:00 Shanghai today
  const t = day + 9 * 3_600_000 + 60_000;
  return t > now ? t : t + 86_400_000;
}

async function runSample(s: Sample, ext: 'mts' | 'mjs'): Promise<{ code: number; out: string; err: string }> {
  // Real clock at ×600 from 09:01 Shanghai: a redial 60 min later is 6 s away.
  const emu = await startEmulator({ apiKey: 'docs-key', apiSecret: 'docs-secret-0123456789', companyId: 'docs-co', env: {}, clock: { mode: 'real', speed: 600, start: next0900Shanghai() } });
  const work = mkdtempSync(path.join(dir, 'run-'));
  const f = path.join(dir, `${path.basename(s.file, '.md')}-${s.line}-${path.basename(work)}.${ext}`);
  writeFileSync(f, s.code);
  try {
    return await new Promise((resolve) => {
      execFile(
        process.execPath,
        [...(ext === 'mts' ? ['--import', tsxLoader] : []), f],
        {
          cwd: work,
          timeout: 60_000,
          env: {
            PATH: process.env.PATH ?? '', HOME: work,
            ZHICHI_KEY: 'docs-key', ZHICHI_SECRET: 'docs-secret-0123456789', ZHICHI_COMPANY_ID: 'docs-co', ZHICHI_BASE_URL: emu.url,
            ZHICHI_REDIS_URL: 'redis://127.0.0.1:6379', ZHICHI_DB: path.join(work, 'events.db'), ZHICHI_PUSH_SECRET: 'docs-push-secret-0123456789',
          },
        },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout, err: stderr }),
      );
    });
  } finally {
    await emu.close();
  }
}

describe('docs samples', () => {
  it('every sample is run here, run by another docs test, or marked not-run with a reason', () => {
    const counts = { total: ALL.length, run: RUNNABLE.length, runBy: 0, notRun: 0 };
    for (const s of ALL) {
      if (s.marker?.kind === 'not-run') {
        counts.notRun++;
        expect(s.marker.text.length, `${s.file}:${s.line} not-run needs a reason`).toBeGreaterThan(8);
      } else if (s.marker?.kind === 'run-by') {
        counts.runBy++;
        const test = path.join(root, s.marker.text);
        expect(existsSync(test), `${s.file}:${s.line} names ${s.marker.text}`).toBe(true);
        expect(readFileSync(test, 'utf8'), `${s.marker.text} reads ${s.file}`).toContain(s.file);
      }
    }
    expect(counts.run + counts.runBy + counts.notRun).toBe(counts.total);
    // Figures as of this test's writing; a new sample changes them on purpose.
    expect(counts).toEqual({ total: 30, run: 6, runBy: 8, notRun: 16 });
  });

  // The READMEs' client examples are run (twice) with stronger checks below.
  const readmeFirst = (s: Sample) => s.file.startsWith('README') && ALL.find((x) => x.file === s.file) === s;
  for (const s of RUNNABLE.filter((x) => !readmeFirst(x))) {
    it(`${s.file}:${s.line} runs (${s.lang})`, async () => {
      const r = await runSample(s, s.lang === 'ts' ? 'mts' : 'mjs');
      expect(r.err.replace(/^warning: .*\n/gm, ''), `${s.file}:${s.line} stderr`).not.toMatch(/Error|error:/);
      expect(r.code, `${s.file}:${s.line}: ${r.err}`).toBe(0);
      expect(r.out + r.err).not.toContain('docs-secret-0123456789');
    });
  }

  for (const file of ['README.md', 'README.zh-CN.md']) {
    it(`${file}: the client example prints its task and its call results, as TypeScript and as plain .mjs`, async () => {
      const first = ALL.find((s) => s.file === file)!;
      expect(first.marker).toBeUndefined();
      for (const ext of ['mts', 'mjs'] as const) {
        const r = await runSample(first, ext);
        expect(r.code, r.err).toBe(0);
        expect(r.out).toMatch(/robots \d+, task [0-9a-f]{32}: 2 contacts \(2 new\)/);
        expect(r.out).toMatch(/^order-1001 [A-Z_]+ \d+$/m);
        expect(r.out).toMatch(/^order-1002 [A-Z_]+ \d+$/m);
      }
    });
  }
});
