// Shared by test/emulator*.test.ts: a bare HTTP client for the emulator (no ZhichiClient, so the
// emulator is tested against the wire format itself).
import { request } from 'undici';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../src/emulator/index.js';

export const SEED_TEMPLATE = '0c565ba214064f82a7071b25030f78a7';
export const SEED_ANI = ['01052226451', '16512999105'];
/** Monday 2026-01-05 00:00 in Asia/Shanghai (= 2026-01-04 16:00 UTC). */
export const MONDAY_CST = Date.UTC(2026, 0, 4, 16, 0);
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface Envelope {
  code: number;
  message: string;
  content: any;
}

/** A minimal client: raw HTTP calls with a bearer token. */
export class Raw {
  token = '';
  constructor(readonly emu: EmulatorHandle, readonly companyId = emu.companyId) {}

  async call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; env: Envelope }> {
    const h: Record<string, string> = { ...headers };
    if (this.token && !('authorization' in h)) h.authorization = `Bearer ${this.token}`;
    if (body !== undefined) h['content-type'] ??= 'application/json;charset=utf-8';
    const res = await request(this.emu.url + path, { method, headers: h, body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.body.text();
    return { status: res.statusCode, env: JSON.parse(text) as Envelope };
  }

  async login(apiKey = 'demo-key', apiSecret = 'demo-secret'): Promise<string> {
    const r = await this.call('GET', `tokens?apiKey=${encodeURIComponent(apiKey)}&apiSecret=${encodeURIComponent(apiSecret)}`);
    if (r.env.code !== 200) throw new Error(`login failed: ${r.env.message}`);
    this.token = r.env.content.accessToken;
    return this.token;
  }

  /** Business call that must succeed; returns the content. */
  async ok(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
    const r = await this.call(method, path, body);
    if (r.status !== 200 || r.env.code !== 200) throw new Error(`${method} ${path}: HTTP ${r.status} code ${r.env.code} ${r.env.message}`);
    return r.env.content;
  }

  c(path: string): string {
    return `companies/${this.companyId}/${path}`;
  }

  createTask(params: Record<string, unknown>): Promise<{ taskId: string }> {
    return this.ok('POST', this.c('tasks'), params);
  }

  addContacts(taskId: string, contactList: unknown[]): Promise<any> {
    return this.ok('POST', this.c(`tasks/${taskId}/task-contacts`), { taskId, contactList });
  }

  task(taskId: string): Promise<any> {
    return this.ok('GET', this.c(`tasks/${taskId}`));
  }

  contact(taskId: string, outId: string): Promise<any> {
    return this.ok('GET', this.c(`tasks/${taskId}/reference-task-contacts/${encodeURIComponent(outId)}`));
  }

  /** Every call record of a task, all pages. */
  async results(taskId: string, filter: Record<string, unknown> = {}): Promise<any[]> {
    const out: any[] = [];
    for (let pageNo = 1; ; pageNo++) {
      const page = await this.ok('POST', this.c(`tasks/${taskId}/dialing-results`), { ...filter, pageNo, pageSize: 1000 });
      out.push(...page.list);
      if (out.length >= page.total || page.list.length === 0) return out;
    }
  }

  async control(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
    const res = await request(this.emu.url.replace('/api/6.0.0/', '/__emulator/') + path, {
      method,
      body: body === undefined ? null : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
    const json = await res.body.json();
    if (res.statusCode !== 200) throw new Error(`control ${path}: ${res.statusCode} ${JSON.stringify(json)}`);
    return json;
  }
}

/** A task body in the seed's style (PHP example), with overrides. */
export function taskParams(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    companyId: 'demo-company',
    taskName: 'seed task',
    templateId: SEED_TEMPLATE,
    robotNum: 2,
    taskCronList: [{ begin: '09:00', end: '20:00' }],
    taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 3 }],
    aniList: SEED_ANI,
    timeType: 2,
    startTime: MONDAY_CST,
    endTime: MONDAY_CST + 7 * DAY,
    pushFlag: 0,
    ...over,
  };
}

/** `n` contacts with distinct outIds and valid mobiles. */
export function contacts(n: number, prefix = 'c', from = 0): Array<{ outId: string; telephone: string }> {
  return Array.from({ length: n }, (_, k) => ({ outId: `${prefix}${from + k}`, telephone: `139${String(10_000_000 + from + k).slice(-8)}` }));
}

/** Starts an emulator on a manual clock at MONDAY_CST, plus a logged-in raw client. */
export async function manualEmulator(opts: EmulatorOptions = {}): Promise<{ emu: EmulatorHandle; api: Raw }> {
  const emu = await startEmulator({ clock: { mode: 'manual', start: MONDAY_CST }, env: {}, ...opts });
  const api = new Raw(emu);
  await api.login(opts.apiKey, opts.apiSecret);
  return { emu, api };
}
