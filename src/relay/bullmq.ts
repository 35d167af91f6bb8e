import type { Queue } from 'bullmq';
import { PUBLISHER_DEFAULTS, PublishError, jobIdOf, peer, redactUrl, type OutMessage, type Publisher, type PublisherOptions } from './publisher.js';

/**
 * BullMQ on Redis (bullmq 6). Each event is a job named `result` on the queue, with `jobId` derived from
 * its key ({@link jobIdOf}): adding a job whose id exists adds nothing, so a republish after a crash does
 * not create a second job. A batch is one `addBulk` (one MULTI round trip, all or nothing).
 */
export class BullmqPublisher implements Publisher {
  readonly kind = 'bullmq' as const;
  readonly target: string;
  readonly #queue: Queue;

  private constructor(queue: Queue, name: string) {
    this.#queue = queue;
    this.target = `queue ${name}`;
  }

  /** Connects to Redis and opens the queue. */
  static async open(url: string, o: PublisherOptions): Promise<BullmqPublisher> {
    const { Queue } = await peer('bullmq', '6', () => import('bullmq'));
    const name = o.queue ?? PUBLISHER_DEFAULTS.queue;
    const u = new URL(url);
    const connection: Record<string, unknown> = {
      host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null, enableOfflineQueue: true,
    };
    if (u.password) connection['password'] = decodeURIComponent(u.password);
    if (u.username) connection['username'] = decodeURIComponent(u.username);
    const db = u.pathname.replace(/^\//, '');
    if (db !== '') connection['db'] = Number(db);
    if (u.protocol === 'rediss:') connection['tls'] = {};
    const queue = new Queue(name, { connection });
    try {
      await queue.waitUntilReady();
    } catch (err) {
      await queue.close().catch(() => {});
      throw new Error(`cannot connect to Redis at ${redactUrl(url)}: ${(err as Error).message}`);
    }
    queue.on('error', () => {});
    return new BullmqPublisher(queue, name);
  }

  async publish(batch: readonly OutMessage[]): Promise<void> {
    try {
      await this.#queue.addBulk(batch.map((m) => ({ name: 'result', data: { key: m.key, taskId: m.taskId, event: JSON.parse(m.body.toString('utf8')) as unknown }, opts: { jobId: jobIdOf(m.key) } })));
    } catch (err) {
      throw new PublishError(`BullMQ addBulk failed: ${(err as Error).message}`, 0, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }
}
