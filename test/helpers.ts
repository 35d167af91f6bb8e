// Shared helpers of the client tests: an emulator on an ephemeral port and a log collector.
import { request } from 'undici';
import type { CreateTaskParams, Logger } from '../src/index.js';
import { SEED_TASK } from '../src/emulator/seed-data.js';

/** Calls a control endpoint of the emulator. */
export async function control<T = unknown>(baseUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const root = new URL(baseUrl).origin;
  const res = await request(`${root}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: HTTP ${res.statusCode} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A logger that keeps every line (all levels) as text, to check nothing secret is logged. */
export function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (msg: string, meta?: Record<string, unknown>) => {
    lines.push(`${level} ${msg} ${meta === undefined ? '' : JSON.stringify(meta)}`);
  };
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

/** Request-log entries of the emulator whose path matches. */
export async function requestsTo(baseUrl: string, pathPart: string): Promise<Array<{ method: string; path: string; status: number }>> {
  const log = await control<unknown>(baseUrl, 'GET', '/__emulator/requests');
  const entries = (Array.isArray(log) ? log : ((log as { entries?: unknown[] }).entries ?? [])) as Array<{ method: string; path: string; status: number }>;
  return entries.filter((e) => e.path.includes(pathPart));
}

/** A fixed time for tests: 2026-11-25 01:00 UTC. */
export const TEST_NOW = Date.UTC(2026, 10, 25, 1, 0, 0);

/** The seed's create-task example (shared/seed) with times fixed around TEST_NOW and a push URL. */
export function seedTask(over: Record<string, unknown> = {}): CreateTaskParams {
  return {
    ...SEED_TASK,
    taskCronList: [...SEED_TASK.taskCronList],
    taskRetryList: [...SEED_TASK.taskRetryList],
    aniList: [...SEED_TASK.aniList],
    startTime: TEST_NOW + 300_000,
    endTime: TEST_NOW + 86_400_000,
    pushUrl: 'https://platform.douyuxingchen.com/api/zhichi/events',
    ...over,
  } as CreateTaskParams;
}

