import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { PUBLISHER_DEFAULTS, PublishError, messageIdOf, peer, redactUrl, taskToken, type OutMessage, type Publisher, type PublisherOptions } from './publisher.js';

/**
 * RabbitMQ (amqplib) on a confirm channel: messages are persistent, `message-id` = the event key
 * ({@link messageIdOf}), routing key `<prefix>.<taskId>` on a durable topic exchange. RabbitMQ does not
 * dedupe: after a crash the last unconfirmed batch is published again, so consumers dedupe on message-id.
 */
export class AmqpPublisher implements Publisher {
  readonly kind = 'amqp' as const;
  readonly target: string;
  readonly #conn: ChannelModel;
  readonly #ch: ConfirmChannel;
  readonly #exchange: string;
  readonly #prefix: string;
  readonly #timeout: number;
  #failed: Error | null = null;
  readonly #onFail = new Set<() => void>();

  private constructor(conn: ChannelModel, ch: ConfirmChannel, exchange: string, prefix: string, timeout: number) {
    this.#conn = conn;
    this.#ch = ch;
    this.#exchange = exchange;
    this.#prefix = prefix;
    this.#timeout = timeout;
    this.target = `exchange ${exchange}`;
    const fail = (err?: Error) => {
      this.#failed ??= err ?? new Error('AMQP channel closed');
      for (const f of [...this.#onFail]) f();
    };
    conn.on('error', fail);
    conn.on('close', () => fail());
    ch.on('error', fail);
    ch.on('close', () => fail());
  }

  /** Connects, declares the exchange (and the queue, bound to it, when one is named). */
  static async open(url: string, o: PublisherOptions): Promise<AmqpPublisher> {
    const amqp = await peer('amqplib', '2', () => import('amqplib'));
    const exchange = o.exchange ?? PUBLISHER_DEFAULTS.exchange;
    const prefix = o.subjectPrefix ?? PUBLISHER_DEFAULTS.subjectPrefix;
    let conn: ChannelModel;
    try {
      conn = await amqp.connect(url);
    } catch (err) {
      throw new Error(`cannot connect to RabbitMQ at ${redactUrl(url)}: ${(err as Error).message}`);
    }
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertExchange(exchange, 'topic', { durable: true });
      if (o.queue !== undefined) {
        await ch.assertQueue(o.queue, { durable: true });
        await ch.bindQueue(o.queue, exchange, `${prefix}.#`);
      }
      return new AmqpPublisher(conn, ch, exchange, prefix, o.timeoutMs ?? PUBLISHER_DEFAULTS.timeoutMs);
    } catch (err) {
      await conn.close().catch(() => {});
      throw new Error(`RabbitMQ exchange ${exchange}: ${(err as Error).message}`);
    }
  }

  async publish(batch: readonly OutMessage[]): Promise<void> {
    if (this.#failed) throw new PublishError(`RabbitMQ channel closed: ${this.#failed.message}`, 0);
    // 1 = confirmed, -1 = nacked, 0 = no answer yet.
    const state = new Int8Array(batch.length);
    let answered = 0;
    const result = await new Promise<'ok' | 'timeout' | 'closed'>((resolve) => {
      const timer = setTimeout(() => finish('timeout'), this.#timeout);
      const onFail = () => finish('closed');
      const finish = (r: 'ok' | 'timeout' | 'closed') => {
        clearTimeout(timer);
        this.#onFail.delete(onFail);
        resolve(r);
      };
      this.#onFail.add(onFail);
      batch.forEach((m, i) => {
        this.#ch.publish(this.#exchange, `${this.#prefix}.${taskToken(m.taskId)}`, m.body, {
          persistent: true, messageId: messageIdOf(m.key), contentType: 'application/json',
        }, (err: unknown) => {
          state[i] = err ? -1 : 1;
          if (++answered === batch.length) finish('ok');
        });
      });
    });
    let confirmed = 0;
    while (confirmed < batch.length && state[confirmed] === 1) confirmed++;
    if (confirmed === batch.length) return;
    const why = result === 'timeout' ? `no confirm within ${this.#timeout} ms` : result === 'closed' ? `channel closed (${(this.#failed as Error | null)?.message ?? 'no reason'})` : 'nacked by the broker';
    throw new PublishError(`RabbitMQ publish failed: ${why}`, confirmed);
  }

  async close(): Promise<void> {
    await this.#ch.close().catch(() => {});
    await this.#conn.close().catch(() => {});
  }
}
