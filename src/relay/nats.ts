import type { JetStreamClient, NatsConnection } from 'nats';
import { PUBLISHER_DEFAULTS, PublishError, peer, redactUrl, taskToken, type OutMessage, type Publisher, type PublisherOptions } from './publisher.js';

/** Dedupe window of a stream the relay creates: a republish within it is dropped by the server. */
export const NATS_DUPLICATE_WINDOW_MS = 2 * 60 * 60 * 1000;

/**
 * NATS JetStream (nats 2). The stream is created if missing (subjects `<prefix>.>`, file storage, a
 * two-hour duplicate window); each event goes to `<prefix>.<taskId>` with `Nats-Msg-Id` = its key, so a
 * batch published again after a crash is acknowledged as duplicate and not stored twice.
 */
export class NatsPublisher implements Publisher {
  readonly kind = 'nats' as const;
  readonly target: string;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #prefix: string;
  readonly #timeout: number;

  private constructor(nc: NatsConnection, js: JetStreamClient, stream: string, prefix: string, timeout: number) {
    this.#nc = nc;
    this.#js = js;
    this.target = `stream ${stream}`;
    this.#prefix = prefix;
    this.#timeout = timeout;
  }

  /** Connects and makes sure the stream exists. */
  static async open(url: string, o: PublisherOptions): Promise<NatsPublisher> {
    const nats = await peer('nats', '2', () => import('nats'));
    const stream = o.stream ?? PUBLISHER_DEFAULTS.stream;
    const prefix = o.subjectPrefix ?? PUBLISHER_DEFAULTS.subjectPrefix;
    const u = new URL(url);
    const opts: Parameters<typeof nats.connect>[0] = { servers: `${u.hostname}:${u.port || '4222'}`, maxReconnectAttempts: -1, reconnectTimeWait: 250 };
    if (u.username) opts.user = decodeURIComponent(u.username);
    if (u.password) opts.pass = decodeURIComponent(u.password);
    let nc: NatsConnection;
    try {
      nc = await nats.connect(opts);
    } catch (err) {
      throw new Error(`cannot connect to NATS at ${redactUrl(url)}: ${(err as Error).message}`);
    }
    try {
      const jsm = await nc.jetstreamManager();
      try {
        await jsm.streams.info(stream);
      } catch (err) {
        if (!/not found/i.test((err as Error).message)) throw err;
        await jsm.streams.add({
          name: stream, subjects: [`${prefix}.>`], storage: nats.StorageType.File,
          duplicate_window: nats.nanos(NATS_DUPLICATE_WINDOW_MS),
        });
      }
    } catch (err) {
      await nc.close().catch(() => {});
      throw new Error(`JetStream stream ${stream}: ${(err as Error).message}`);
    }
    return new NatsPublisher(nc, nc.jetstream({ timeout: o.timeoutMs ?? PUBLISHER_DEFAULTS.timeoutMs }), stream, prefix, o.timeoutMs ?? PUBLISHER_DEFAULTS.timeoutMs);
  }

  async publish(batch: readonly OutMessage[]): Promise<void> {
    // All at once on one connection: the server stores them in send order; acks come back as they go.
    const acks = await Promise.allSettled(
      batch.map((m) => this.#js.publish(`${this.#prefix}.${taskToken(m.taskId)}`, m.body, { msgID: m.key, timeout: this.#timeout })),
    );
    const bad = acks.findIndex((a) => a.status === 'rejected');
    if (bad >= 0) {
      const reason = (acks[bad] as PromiseRejectedResult).reason as Error;
      throw new PublishError(`JetStream publish failed: ${reason.message}`, bad, { cause: reason });
    }
  }

  async close(): Promise<void> {
    await this.#nc.drain().catch(() => this.#nc.close());
  }
}
