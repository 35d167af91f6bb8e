import type { TaskApiInfo } from './handler.js';

/** The part of a client the dashboard asks: a task's name and contact count (`ZhichiClient` fits). */
export interface TaskLookup {
  tasks: { get(taskId: string): Promise<{ taskName?: string | undefined; contactCount?: number | undefined }> };
}

/**
 * A `taskInfo` for {@link createDashboard} from the API: name and contacts of a task, each answer kept
 * `ttlMs` so a page that refreshes on every stored push does not call the API each time. Redials
 * pending stay unknown: the V5 API as documented has no count of them.
 */
export function taskInfoFromClient(client: TaskLookup, opts: { ttlMs?: number; timeZone?: string; now?: () => number } = {}): (taskId: string) => Promise<TaskApiInfo> {
  const ttl = opts.ttlMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; info: Promise<TaskApiInfo> }>();
  return (taskId) => {
    const hit = cache.get(taskId);
    if (hit && now() - hit.at < ttl) return hit.info;
    const info = client.tasks.get(taskId).then((t) => {
      const i: TaskApiInfo = {};
      if (t.taskName !== undefined) i.name = t.taskName;
      if (t.contactCount !== undefined) i.contacts = t.contactCount;
      if (opts.timeZone !== undefined) i.timeZone = opts.timeZone;
      return i;
    });
    // A failed lookup is not cached: the next view asks again.
    info.catch(() => cache.delete(taskId));
    cache.set(taskId, { at: now(), info });
    if (cache.size > 1000) cache.delete(cache.keys().next().value!);
    return info;
  };
}
