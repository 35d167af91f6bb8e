// Every call the page makes to its server: relative URLs, so the page works under any mount path.
// Types are the dashboard's wire (src/dashboard/wire.ts), shared with the server; the page never sees SQL.

import type { DashboardMeta, Overview, ResultPageResponse, TaskStatsResponse } from '../wire.js';

export type { Overview, TaskSummary } from '../wire.js';
/** GET api/meta. */
export type Meta = DashboardMeta;
/** GET api/tasks/:id/stats. */
export type TaskStats = TaskStatsResponse;
/** GET api/tasks/:id/results. */
export type ResultPage = ResultPageResponse;

/** Filters of the results table. */
export interface Filters {
  callResult: string;
  intent: string;
  outId: string;
  phones: boolean;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new Error(body.error ?? `HTTP ${res.status}`);
  }
  return (await res.json()) as T;
}

const taskPath = (taskId: string) => `api/tasks/${encodeURIComponent(taskId)}`;

/** Query string of the filters (and paging). */
export function filterQuery(f: Filters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (f.callResult !== '') q.set('callResult', f.callResult);
  if (f.intent !== '') q.set('intent', f.intent);
  if (f.outId.trim() !== '') q.set('outId', f.outId.trim());
  if (f.phones) q.set('phones', 'full');
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const getMeta = () => getJson<Meta>('api/meta');
export const getOverview = () => getJson<Overview>('api/overview');
export const getTaskStats = (taskId: string) => getJson<TaskStats>(`${taskPath(taskId)}/stats`);
export const getResults = (taskId: string, f: Filters, before?: number) =>
  getJson<ResultPage>(`${taskPath(taskId)}/results${filterQuery(f, before === undefined ? { limit: '50' } : { limit: '50', before: String(before) })}`);
/** URL of the CSV export of what the filters select. */
export const csvUrl = (taskId: string, f: Filters) => `${taskPath(taskId)}/results.csv${filterQuery(f)}`;

/**
 * Calls `onStored(maxId)` whenever the server reports that the store changed (SSE; the browser
 * reconnects by itself). Returns a function that stops listening.
 */
export function subscribe(onStored: (maxId: number) => void): () => void {
  const es = new EventSource('api/events');
  es.addEventListener('stored', (e) => {
    const { maxId } = JSON.parse((e as MessageEvent<string>).data) as { maxId: number };
    onStored(maxId);
  });
  return () => es.close();
}
