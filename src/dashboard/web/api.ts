// Every call the page makes to its server: relative URLs, so the page works under any mount path.
// Types mirror the read model's (src/push/read-model.ts); the page never sees SQL.

/** One task of the overview. */
export interface TaskSummary {
  taskId: string;
  results: number;
  answered: number;
  answeredShare: number;
  lastReceivedAt: number | null;
}

/** GET api/overview. */
export interface Overview {
  tasks: TaskSummary[];
  maxId: number;
}

/** GET api/meta. */
export interface Meta {
  kind: 'sqlite' | 'postgres';
  location: string;
  rollups: boolean;
  timeZone: string;
}

/** GET api/tasks/:id/stats. */
export interface TaskStats {
  taskId: string;
  name: string | null;
  timeZone: string;
  progress: {
    results: number;
    answeredResults: number;
    contactsCalled: number;
    contactsAnswered: number;
    redials: number;
    lastReceivedAt: number | null;
    contacts: number | null;
    redialsPending: number | null;
  };
  outcomes: Array<{ callResult: number | null; name: string; count: number }>;
  intents: Array<{ intent: string | null; count: number }>;
  hours: Array<{ hour: number; calls: number; answered: number; rate: number }>;
  talk: Array<{ from: number; to: number | null; count: number }>;
  maxId: number;
}

/** One row of the results table. */
export interface ResultRow {
  id: number;
  outId: string | null;
  phone: string | null;
  callResult: number | null;
  outcome: string;
  intent: string | null;
  talkDuration: number | null;
  attempt: number | null;
  startTime: number | null;
  receivedAt: number;
}

/** GET api/tasks/:id/results. */
export interface ResultPage {
  rows: ResultRow[];
  next: number | null;
  /** Matching rows; only on the first page. */
  total: number | null;
}

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
