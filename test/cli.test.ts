import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/io.js';
import { run } from '../src/cli/main.js';
import type { EmulatorHandle } from '../src/emulator/index.js';
import { defaultCheckpointPath } from '../src/import/index.js';
import { captureIO, envFor, quietTask, startTestEmulator, tempDir, zhichi } from './cli-helpers.js';

const SECRET = 'cli-secret-value-0123';

/** Asserts a failed run printed exactly one line on stderr, and returns it. */
function oneErrorLine(r: { err: string }): string {
  const lines = r.err.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

let emu: EmulatorHandle;
let env: Record<string, string>;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  emu = await startTestEmulator();
  env = envFor(emu);
  tmp = tempDir();
});
afterAll(async () => {
  await emu.close();
  tmp.cleanup();
});

describe('zhichi: program-level behaviour', () => {
  it('prints help with --help (exit 0) and usage with no arguments (exit 2)', async () => {
    const help = await zhichi(['--help']);
    expect(help.code).toBe(EXIT.OK);
    for (const c of ['token', 'robots', 'numbers', 'templates', 'tasks', 'contacts', 'emulator', 'demo']) expect(help.out).toContain(c);
    expect(help.out).toContain('Exit codes');
    const none = await zhichi([]);
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.out).toContain('Usage: zhichi');
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await zhichi(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });

  it('answers an unknown command, an unknown option and a missing subcommand with one line and exit 2', async () => {
    const unknown = await zhichi(['frobnicate']);
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(unknown)).toMatch(/unknown command 'frobnicate'/);

    const badOpt = await zhichi(['robots', '--frob'], { env });
    expect(badOpt.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(badOpt)).toMatch(/unknown option '--frob'/);

    const group = await zhichi(['tasks'], { env });
    expect(group.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(group)).toMatch(/zhichi tasks needs a command: create, get, list/);

    const groupBad = await zhichi(['contacts', 'remove'], { env });
    expect(groupBad.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(groupBad)).toMatch(/unknown command 'zhichi contacts remove'/);

    const missingArg = await zhichi(['contacts', 'get', '--task'], { env });
    expect(missingArg.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(missingArg)).toMatch(/--task/);
  });

  it('names every missing setting when the configuration is absent', async () => {
    const r = await zhichi(['robots'], { env: {}, cwd: tmp.dir });
    expect(r.code).toBe(EXIT.USAGE);
    const line = oneErrorLine(r);
    expect(line).toContain('ZHICHI_KEY');
    expect(line).toContain('ZHICHI_SECRET');
    expect(line).toContain('ZHICHI_COMPANY_ID');
  });

  it('reads .env in the working directory, below the environment and the flags', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, '.env'), `# settings\nZHICHI_KEY=cli-key\nZHICHI_SECRET="${SECRET}"\nZHICHI_COMPANY_ID=cli-company\nZHICHI_BASE_URL=${emu.url}\n`);
      const fromFile = await zhichi(['robots', '--json'], { env: {}, cwd: dir });
      expect(fromFile.code).toBe(0);
      expect(JSON.parse(fromFile.out)).toEqual({ robots: 10 });

      // The environment beats the file: a wrong company id in env is used (and refused).
      const envWins = await zhichi(['robots'], { env: { ZHICHI_COMPANY_ID: 'someone-else' }, cwd: dir });
      expect(envWins.code).toBe(EXIT.API);
      expect(oneErrorLine(envWins)).toMatch(/company/i);

      // The flag beats the environment.
      const flagWins = await zhichi(['robots', '--company-id', 'cli-company'], { env: { ZHICHI_COMPANY_ID: 'someone-else' }, cwd: dir });
      expect(flagWins.code).toBe(0);
      expect(flagWins.out.trim()).toBe('10');

      const missingFile = await zhichi(['robots', '--env-file', 'nope.env'], { env: {}, cwd: dir });
      expect(missingFile.code).toBe(EXIT.USAGE);
      expect(oneErrorLine(missingFile)).toMatch(/--env-file nope\.env: no such file \(looked for /);
    } finally {
      cleanup();
    }
  });

  it('a wrong secret is refused even while the right one\'s token is cached (the token key is bound to the credentials)', async () => {
    const good = await zhichi(['robots'], { env });
    expect(good.code).toBe(0);
    const before = emu.stats().tokensIssued as number;
    const wrong = 'rotated-away-secret-1234';
    const r = await zhichi(['robots'], { env: { ...env, ZHICHI_SECRET: wrong } });
    expect(r.code).toBe(EXIT.API);
    expect(oneErrorLine(r)).toMatch(/token request refused: business error 10001: .*check ZHICHI_KEY and ZHICHI_SECRET/);
    expect(r.err).not.toContain(wrong);
    // The right secret still uses its cached token: no new mint, no refusal in its way.
    const again = await zhichi(['robots'], { env });
    expect(again.code).toBe(0);
    expect(again.out.trim()).toBe('10');
    expect(emu.stats().tokensIssued).toBe(before);
  });

  it('reports wrong credentials as an API error (exit 3) without the secret, stack only with --debug', async () => {
    const wrong = 'wrong-secret-value-987654';
    // A new apiKey: tokens are cached per (base URL, apiKey, company) in the process.
    const bad = { ...env, ZHICHI_KEY: 'not-the-key', ZHICHI_SECRET: wrong };
    const r = await zhichi(['robots'], { env: bad });
    expect(r.code).toBe(EXIT.API);
    const line = oneErrorLine(r);
    expect(line).toMatch(/check ZHICHI_KEY and ZHICHI_SECRET/);
    expect(line).not.toContain(wrong);
    expect(line).not.toMatch(/\n|at .*\.ts/);

    const dbg = await zhichi(['robots', '--debug'], { env: bad });
    expect(dbg.code).toBe(EXIT.API);
    expect(dbg.err).toMatch(/ZhichiCredentialsError/);
    expect(dbg.err.split('\n').length).toBeGreaterThan(3);
    expect(dbg.err).not.toContain(wrong);
  });

  it('reports an unreachable API as a network error (exit 4)', async () => {
    const r = await zhichi(['robots'], { env: { ...env, ZHICHI_BASE_URL: 'http://127.0.0.1:9/api/6.0.0/', ZHICHI_MAX_RETRIES: '0' } });
    expect(r.code).toBe(EXIT.NETWORK);
    expect(oneErrorLine(r)).toMatch(/ZHICHI_BASE_URL/);
  });

  it('rejects a malformed base URL as a usage error naming the option', async () => {
    const r = await zhichi(['robots'], { env: { ...env, ZHICHI_BASE_URL: 'not a url' } });
    expect(r.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(r)).toMatch(/baseUrl must be an absolute http\(s\) URL/);
  });
});

describe('zhichi token / robots / numbers / templates', () => {
  it('shows the token status and expiry, and the token only with --show', async () => {
    const shown = await zhichi(['token', '--show', '--json'], { env });
    expect(shown.code).toBe(0);
    const j = JSON.parse(shown.out) as { status: string; accessToken: string; expiresIn: number; expiresAt: number };
    expect(j.status).toBe('valid');
    expect(j.expiresIn).toBe(86_400);
    expect(j.accessToken.length).toBeGreaterThan(10);

    const hidden = await zhichi(['token'], { env });
    expect(hidden.code).toBe(0);
    expect(hidden.out).toMatch(/status\s+valid/);
    expect(hidden.out).toMatch(/hidden \(use --show\)/);
    expect(hidden.out).not.toContain(j.accessToken);
    const hiddenJson = await zhichi(['token', '--json'], { env });
    expect(JSON.parse(hiddenJson.out)).not.toHaveProperty('accessToken');

    const table = await zhichi(['token', '--show'], { env });
    expect(table.out).toContain(j.accessToken);
  });

  it('lists robots, numbers and templates as tables and JSON', async () => {
    const robots = await zhichi(['robots'], { env });
    expect(robots).toMatchObject({ code: 0, out: '10\n' });

    const numbers = await zhichi(['numbers', '--json'], { env });
    const list = JSON.parse(numbers.out) as Array<{ number: string }>;
    expect(list.map((n) => n.number)).toEqual(expect.arrayContaining(['01052226451', '16512999105']));
    const numbersTable = await zhichi(['numbers'], { env });
    expect(numbersTable.out.split('\n')[0]).toMatch(/^number\s+type/);
    for (const n of list) expect(numbersTable.out).toContain(n.number);

    const templates = await zhichi(['templates', '--json'], { env });
    const tl = JSON.parse(templates.out) as Array<{ templateId: string }>;
    expect(tl.map((t) => t.templateId)).toContain('0c565ba214064f82a7071b25030f78a7');
    const templatesTable = await zhichi(['templates'], { env });
    for (const t of tl) expect(templatesTable.out).toContain(t.templateId);
  });
});

describe('zhichi tasks', () => {
  it('creates a task from the seed-style JSON file, gets and lists it', async () => {
    const file = join(tmp.dir, 'task.json');
    writeFileSync(file, JSON.stringify(quietTask('cli 任务 from file')));
    const created = await zhichi(['tasks', 'create', '--file', 'task.json'], { env, cwd: tmp.dir });
    expect(created.code).toBe(0);
    const taskId = created.out.trim();
    expect(taskId).toMatch(/^[0-9a-f]{32}$/);

    const got = await zhichi(['tasks', 'get', '--task', taskId, '--json'], { env });
    expect(got.code).toBe(0);
    expect(JSON.parse(got.out)).toMatchObject({ taskId, taskName: 'cli 任务 from file', robotNum: 2, statusName: 'NOT_STARTED' });
    const gotTable = await zhichi(['tasks', 'get', taskId], { env });
    expect(gotTable.out).toMatch(/status\s+NOT_STARTED/);
    expect(gotTable.out).toMatch(/windows\s+09:00-20:00/);

    const listed = await zhichi(['tasks', 'list', '--name', 'from file', '--json'], { env });
    expect((JSON.parse(listed.out) as Array<{ taskId: string }>).map((t) => t.taskId)).toContain(taskId);
    const listedTable = await zhichi(['tasks', 'list'], { env });
    expect(listedTable.out).toContain(taskId);
    expect(listedTable.out).toContain('cli 任务 from file');
  });

  it('creates a task from flags (flags override the file)', async () => {
    const file = join(tmp.dir, 'task2.json');
    writeFileSync(file, JSON.stringify(quietTask('overridden')));
    const r = await zhichi(
      ['tasks', 'create', '--file', file, '--name', 'from flags', '--robots', '3', '--window', '9:00-12:00', '--window', '13:00-18:00',
        '--retry', '2:30:1', '--ani', '01052226451,16512999105', '--push-url', 'https://example.com/hook?secret=abcdefabcdefabcdef', '--json'],
      { env },
    );
    expect(r.code).toBe(0);
    const { taskId } = JSON.parse(r.out) as { taskId: string };
    const t = await zhichi(['tasks', 'get', '--task', taskId, '--json'], { env });
    expect(JSON.parse(t.out)).toMatchObject({
      taskName: 'from flags', robotNum: 3, taskCronList: [{ begin: '09:00', end: '12:00' }, { begin: '13:00', end: '18:00' }],
      taskRetryList: [{ retryNum: 2, retryTime: 30, retryCondition: 1 }], aniList: ['01052226451', '16512999105'], pushFlag: 1, pushType: 2,
    });
    const table = await zhichi(['tasks', 'get', '--task', taskId], { env });
    expect(table.out).not.toContain('abcdefabcdefabcdef'); // the push secret in the URL is hidden
  });

  it('rejects bad task input with one line naming the field and the rule (exit 2)', async () => {
    const noName = await zhichi(['tasks', 'create', '--template', 't', '--robots', '1', '--window', '09:00-10:00', '--ani', '01052226451'], { env });
    expect(noName.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(noName)).toMatch(/taskName \(--name\) must be a non-empty string/);

    const seconds = await zhichi(['tasks', 'create', '--file', join(tmp.dir, 'task.json'), '--start', '1764000000'], { env });
    expect(seconds.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(seconds)).toMatch(/--start "1764000000" looks like epoch seconds/);

    writeFileSync(join(tmp.dir, 'bad-window.json'), JSON.stringify({ ...quietTask(), taskCronList: [{ begin: '09:00', end: '09:00' }] }));
    const window = await zhichi(['tasks', 'create', '--file', 'bad-window.json'], { env, cwd: tmp.dir });
    expect(window.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(window)).toMatch(/taskCronList\[0\]\.end must differ from begin/);

    const badFlag = await zhichi(['tasks', 'create', '--window', '9-10'], { env });
    expect(oneErrorLine(badFlag)).toMatch(/--window must be HH:mm-HH:mm/);
    const badInt = await zhichi(['tasks', 'create', '--robots', 'two'], { env });
    expect(oneErrorLine(badInt)).toMatch(/--robots must be an integer from 1 up \(got "two"\)/);

    const missing = await zhichi(['tasks', 'create', '--file', 'nope.json'], { env, cwd: tmp.dir });
    expect(missing.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(missing)).toBe('error: --file nope.json: no such file');
    writeFileSync(join(tmp.dir, 'broken.json'), '{"taskName": ');
    const broken = await zhichi(['tasks', 'create', '--file', 'broken.json'], { env, cwd: tmp.dir });
    expect(broken.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(broken)).toMatch(/--file broken\.json: not valid JSON/);
    writeFileSync(join(tmp.dir, 'array.json'), '[]');
    const arr = await zhichi(['tasks', 'create', '--file', 'array.json'], { env, cwd: tmp.dir });
    expect(oneErrorLine(arr)).toMatch(/must hold a JSON object/);

    const noTask = await zhichi(['tasks', 'get'], { env });
    expect(noTask.code).toBe(EXIT.USAGE);
    const unknownTask = await zhichi(['tasks', 'get', '--task', 'f'.repeat(32)], { env });
    expect(unknownTask.code).toBe(EXIT.API);
    expect(oneErrorLine(unknownTask)).toMatch(/business error 404/);
  });
});

describe('zhichi contacts add / get', () => {
  let taskId: string;
  beforeAll(async () => {
    const file = join(tmp.dir, 'contacts-task.json');
    writeFileSync(file, JSON.stringify(quietTask('contacts add')));
    taskId = (await zhichi(['tasks', 'create', '--file', file], { env })).out.trim();
  });

  it('adds one contact with variables, then reports it as already there', async () => {
    const first = await zhichi(['contacts', 'add', '--task', taskId, '--out-id', 'c-1', '--phone', '+86 138-0013-8000', '--var', 'name=王先生', '--json'], { env });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ successCount: 1, duplicateCount: 0 });
    const again = await zhichi(['contacts', 'add', '--task', taskId, '--out-id', 'c-1', '--phone', '13800138000'], { env });
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/added\s+0/);
    expect(again.out).toMatch(/already there\s+1/);

    const got = await zhichi(['contacts', 'get', '--task', taskId, '--out-id', 'c-1', '--json'], { env });
    expect(got.code).toBe(0);
    expect(JSON.parse(got.out)).toMatchObject({ outId: 'c-1', telephone: '13800138000', variables: { name: '王先生' } });
    const table = await zhichi(['contacts', 'get', '--task', taskId, '--out-id', 'c-1'], { env });
    expect(table.out).toMatch(/telephone\s+13800138000/);
    expect(table.out).toMatch(/status\s+WAITING/);
  });

  it('adds a JSON list from --file', async () => {
    const file = join(tmp.dir, 'list.json');
    writeFileSync(file, JSON.stringify([{ outId: 'l-1', telephone: '13900000001' }, { outId: 'l-2', telephone: '010-52226451', city: '北京' }]));
    const r = await zhichi(['contacts', 'add', '--task', taskId, '--file', file, '--json'], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ successCount: 2 });
  });

  it('rejects bad contacts before sending, naming the field', async () => {
    const badPhone = await zhichi(['contacts', 'add', '--task', taskId, '--out-id', 'c-9', '--phone', '12345'], { env });
    expect(badPhone.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(badPhone)).toMatch(/invalid contact: --phone must be a mainland mobile/);
    const noPhone = await zhichi(['contacts', 'add', '--task', taskId, '--out-id', 'c-9'], { env });
    expect(oneErrorLine(noPhone)).toMatch(/needs --out-id and --phone/);
    const badVar = await zhichi(['contacts', 'add', '--task', taskId, '--out-id', 'c-9', '--phone', '13800138000', '--var', 'oops'], { env });
    expect(oneErrorLine(badVar)).toMatch(/--var must be name=value/);
    const noTask = await zhichi(['contacts', 'add', '--out-id', 'c-9', '--phone', '13800138000'], { env });
    expect(noTask.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(noTask)).toMatch(/required option '--task <taskId>'/);
    const unknown = await zhichi(['contacts', 'get', '--task', taskId, '--out-id', 'nobody'], { env });
    expect(unknown.code).toBe(EXIT.API);
  });
});

describe('zhichi contacts import', () => {
  let taskId: string;
  beforeAll(async () => {
    const file = join(tmp.dir, 'import-task.json');
    writeFileSync(file, JSON.stringify(quietTask('contacts import')));
    taskId = (await zhichi(['tasks', 'create', '--file', file], { env })).out.trim();
  });

  async function contactCount(id: string): Promise<number> {
    const r = await zhichi(['tasks', 'get', '--task', id, '--json'], { env });
    return (JSON.parse(r.out) as { contactCount: number }).contactCount;
  }

  it('imports a CSV, lists bad rows with line and reason, exits 5, and a rerun adds nothing', async () => {
    const file = join(tmp.dir, 'people.csv');
    writeFileSync(
      file,
      'outId,手机号,name\n' +
        'p1,13800000001,张三\n' +
        'p2,12345,李四\n' + // line 3: bad phone
        'p3,"+86 139 0000 0003","王, 五"\n' +
        ',13800000004,nobody\n' + // line 5: no outId
        'p1,13800000005,again\n' + // line 6: duplicate outId
        'p6,010-52226451\n' + // line 7: too few fields
        'p7,021 6123 4567,landline\n',
    );
    const r = await zhichi(['contacts', 'import', '--task', taskId, '--file', 'people.csv', '--json'], { env, cwd: tmp.dir });
    expect(r.code).toBe(EXIT.PARTIAL);
    const s = JSON.parse(r.out) as Record<string, unknown>;
    expect(s).toMatchObject({ rows: 7, valid: 3, rejected: 4, added: 3, mapping: { phoneColumn: '手机号', outIdColumn: 'outId' } });
    const rejects = readFileSync(`${file}.rejects.csv`, 'utf8').trim().split('\n');
    expect(rejects[0]).toBe('line,reason,outId,telephone');
    expect(rejects.slice(1).map((l) => l.split(',')[0])).toEqual(['3', '5', '6', '7']);
    expect(rejects[1]).toMatch(/^3,"手机号 must be a mainland mobile number/);
    expect(rejects[2]).toMatch(/^5,outId must be a non-empty string/);
    expect(rejects[3]).toMatch(/^6,"outId ""p1"" repeats line 2 \(duplicate outId in the file\)",p1,13800000005$/);
    expect(rejects[4]).toBe('7,"has 2 fields, the header has 3",,');
    expect(r.err).toMatch(/4 rows rejected, see .*people\.csv\.rejects\.csv/);
    expect(await contactCount(taskId)).toBe(3);
    const detail = await zhichi(['contacts', 'get', '--task', taskId, '--out-id', 'p3', '--json'], { env });
    expect(JSON.parse(detail.out)).toMatchObject({ telephone: '13900000003', variables: { name: '王, 五' } });

    const rerun = await zhichi(['contacts', 'import', '--task', taskId, '--file', file, '--json'], { env });
    expect(JSON.parse(rerun.out)).toMatchObject({ alreadyComplete: true, sent: 0, added: 0 });
    expect(rerun.err).toMatch(/already imported/);
    const restart = await zhichi(['contacts', 'import', '--task', taskId, '--file', file, '--restart', '--json'], { env });
    expect(JSON.parse(restart.out)).toMatchObject({ sent: 3, added: 0, duplicates: 3 });
    expect(await contactCount(taskId)).toBe(3);
    expect(readFileSync(`${file}.rejects.csv`, 'utf8').trim().split('\n')).toHaveLength(5);
  });

  it('imports JSONL and XLSX with mapped columns and plain progress lines', async () => {
    const jsonl = join(tmp.dir, 'people.jsonl');
    writeFileSync(jsonl, '{"id":"j1","mobile":"13700000001","plan":"gold"}\n\n{"id":"j2","mobile":13700000002}\nnot json\n');
    const r = await zhichi(['contacts', 'import', '--task', taskId, '--file', jsonl, '--out-id-column', 'id', '--no-checkpoint'], { env });
    expect(r.code).toBe(EXIT.PARTIAL);
    expect(r.out).toMatch(/added\s+2/);
    expect(r.out).toMatch(/columns\s+phone=mobile, outId=id/);
    expect(r.err).toMatch(/import: 100% 3 rows read, 2 sent, 1 rejected/);
    expect(existsSync(defaultCheckpointPath(jsonl, taskId))).toBe(false);
    expect(readFileSync(`${jsonl}.rejects.csv`, 'utf8')).toMatch(/^4,"not valid JSON/m);

    const ExcelJS = (await import('exceljs')).default;
    const xlsx = join(tmp.dir, 'people.xlsx');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('名单');
    ws.addRow(['编号', '电话', '姓名']);
    ws.addRow(['x1', 13600000001, '赵六']);
    ws.addRow(['x2', '0755-88886666', '钱七']);
    await wb.xlsx.writeFile(xlsx);
    const x = await zhichi(['contacts', 'import', '--task', taskId, '--file', xlsx, '--json'], { env });
    expect(x.code).toBe(0);
    expect(JSON.parse(x.out)).toMatchObject({ rows: 2, valid: 2, added: 2, rejected: 0, rejectsFile: null });
    expect(existsSync(`${xlsx}.rejects.csv`)).toBe(false);
    const d = await zhichi(['contacts', 'get', '--task', taskId, '--out-id', 'x2', '--json'], { env });
    expect(JSON.parse(d.out)).toMatchObject({ telephone: '075588886666', variables: { 姓名: '钱七' } });
  });

  it('draws a progress bar with rows/s and ETA on a terminal', async () => {
    const file = join(tmp.dir, 'tty.csv');
    let body = 'outId,telephone\n';
    for (let i = 0; i < 3000; i++) body += `t${i},1380000${String(i).padStart(4, '0')}\n`;
    writeFileSync(file, body);
    const r = await zhichi(['contacts', 'import', '--task', taskId, '--file', file], { env, isTTY: true });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/import \[[█░]+\] 100% \| 3,000 rows \| [\d,]+ rows\/s \| ETA \S+ \| sent 3,000 \| rejected 0/);
    expect(r.out).toMatch(/added\s+3,000/);
  });

  it('stops on SIGINT with exit 130 and resumes from the checkpoint on the next run', async () => {
    const file = join(tmp.dir, 'interrupt.csv');
    let body = 'outId,telephone\n';
    for (let i = 0; i < 6000; i++) body += `s${i},1390000${String(i).padStart(4, '0')}\n`;
    writeFileSync(file, body);
    const sigTask = (await zhichi(['tasks', 'create', '--file', join(tmp.dir, 'import-task.json')], { env })).out.trim();
    // Slow answers, one request at a time: the abort lands mid-import.
    emu.setFaults({ latencyMs: 150, endpoints: ['addContacts'] });
    try {
      const ac = new AbortController();
      const io = captureIO({ env, signal: ac.signal });
      const adds = () => (emu.stats().requestsByEndpoint as Record<string, number>).addContacts ?? 0;
      const before = adds();
      const running = run(['contacts', 'import', '--task', sigTask, '--file', file, '--concurrency', '1', '--json'], io);
      // Two requests answered, the third on its way: abort then.
      while (adds() < before + 3) await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      expect(await running).toBe(EXIT.INTERRUPTED);
      expect(oneErrorLine({ err: io.err() })).toMatch(/import interrupted after [\d,]+ contacts sent; rerun the same command to resume/);
      const first = JSON.parse(io.out()) as { interrupted: boolean };
      expect(first.interrupted).toBe(true);
    } finally {
      emu.setFaults({});
    }
    const cp = JSON.parse(readFileSync(defaultCheckpointPath(file, sigTask), 'utf8')) as { rowsDone: number; complete: boolean };
    expect(cp.complete).toBe(false);
    expect(cp.rowsDone).toBeGreaterThan(0);
    expect(cp.rowsDone).toBeLessThan(6000);
    const resumed = await zhichi(['contacts', 'import', '--task', sigTask, '--file', file, '--json'], { env });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ resumedFrom: cp.rowsDone, skipped: cp.rowsDone, sent: 6000 - cp.rowsDone });
    expect(resumed.err).toMatch(/resuming after line \d+/);
    expect(await contactCount(sigTask)).toBe(6000);
  });

  it('fails on a bad file with one line and exit 2', async () => {
    const missing = await zhichi(['contacts', 'import', '--task', taskId, '--file', 'missing.csv'], { env, cwd: tmp.dir });
    expect(missing.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(missing)).toMatch(/missing\.csv: no such file/);

    writeFileSync(join(tmp.dir, 'people.doc'), 'x');
    const type = await zhichi(['contacts', 'import', '--task', taskId, '--file', 'people.doc'], { env, cwd: tmp.dir });
    expect(oneErrorLine(type)).toMatch(/unsupported file type "\.doc"/);

    writeFileSync(join(tmp.dir, 'nophone.csv'), 'outId,name\na,b\n');
    const noPhone = await zhichi(['contacts', 'import', '--task', taskId, '--file', 'nophone.csv'], { env, cwd: tmp.dir });
    expect(noPhone.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(noPhone)).toMatch(/no phone column found .* use --phone-column/);
    const wrongCol = await zhichi(['contacts', 'import', '--task', taskId, '--file', 'nophone.csv', '--phone-column', 'tel'], { env, cwd: tmp.dir });
    expect(oneErrorLine(wrongCol)).toMatch(/--phone-column "tel" is not a column of the file \(columns: outId, name\)/);

    writeFileSync(join(tmp.dir, 'empty.csv'), '');
    const empty = await zhichi(['contacts', 'import', '--task', taskId, '--file', 'empty.csv'], { env, cwd: tmp.dir });
    expect(oneErrorLine(empty)).toMatch(/the file is empty/);

    writeFileSync(join(tmp.dir, 'fake.xlsx'), 'this is not a zip');
    const fake = await zhichi(['contacts', 'import', '--task', taskId, '--file', 'fake.xlsx'], { env, cwd: tmp.dir });
    expect(fake.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(fake)).toMatch(/not a readable \.xlsx file/);

    const conc = await zhichi(['contacts', 'import', '--task', taskId, '--file', 'x.csv', '--concurrency', '0'], { env, cwd: tmp.dir });
    expect(oneErrorLine(conc)).toMatch(/--concurrency must be an integer from 1 to 64/);
    const chunk = await zhichi(['contacts', 'import', '--task', taskId, '--file', 'x.csv', '--chunk-size', '1001'], { env, cwd: tmp.dir });
    expect(oneErrorLine(chunk)).toMatch(/--chunk-size must be an integer from 1 to 1000/);

    const noTask = await zhichi(['contacts', 'import', '--task', 'f'.repeat(32), '--file', join(tmp.dir, 'tty.csv'), '--no-checkpoint', '--no-progress'], { env });
    expect(noTask.code).toBe(EXIT.API);
    expect(oneErrorLine(noTask)).toMatch(/import stopped: task f{32} does not exist \(.*business error 404.*\); check --task/);
  });
});

describe('zhichi emulator', () => {
  it('prints the base URL first, serves, and exits 0 when the signal aborts', async () => {
    const ac = new AbortController();
    const io = captureIO({ env: {}, signal: ac.signal });
    const done = run(['emulator', '--port', '0', '--seed', '7', '--robots', '4', '--key', 'k1', '--company-id', 'c1'], io);
    while (!io.out().includes('\n')) await new Promise((r) => setTimeout(r, 10));
    const url = io.out().split('\n')[0]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/6\.0\.0\/$/);
    const robots = await zhichi(['robots', '--json'], { env: { ZHICHI_KEY: 'k1', ZHICHI_SECRET: 'demo-secret', ZHICHI_COMPANY_ID: 'c1', ZHICHI_BASE_URL: url } });
    expect(JSON.parse(robots.out)).toEqual({ robots: 4 });
    ac.abort();
    expect(await done).toBe(0);
    expect(io.err()).not.toContain('demo-secret');
  });

  it('rejects bad emulator flags with one line', async () => {
    const speed = await zhichi(['emulator', '--speed', 'fast'], { env: {} });
    expect(speed.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(speed)).toMatch(/--speed must be a number/);
    const tz = await zhichi(['emulator', '--time-zone', 'Mars/Olympus'], { env: {} });
    expect(tz.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(tz)).toMatch(/emulator: .*Mars\/Olympus/);
    const envPort = await zhichi(['emulator'], { env: { ZHICHI_EMULATOR_PORT: '99999' } });
    expect(oneErrorLine(envPort)).toMatch(/ZHICHI_EMULATOR_PORT must be an integer from 0 to 65535/);
  });

  it('reports a port in use as a usage error', async () => {
    const r = await zhichi(['emulator', '--port', String(emu.port)], { env: {}, signal: AbortSignal.abort() });
    expect(r.code).toBe(EXIT.USAGE);
    expect(oneErrorLine(r)).toMatch(/cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
  });
});

describe('secrets', () => {
  it('never prints the configured secret, whatever the command', async () => {
    const runs = await Promise.all([
      zhichi(['token'], { env }),
      zhichi(['robots', '--debug', '--company-id', 'x'], { env }),
      zhichi(['tasks', 'create', '--name', 'n', '--debug'], { env }),
      zhichi(['contacts', 'import', '--task', 't', '--file', 'nope.csv', '--debug'], { env }),
    ]);
    for (const r of runs) {
      expect(r.out + r.err).not.toContain(SECRET);
    }
  });
});
