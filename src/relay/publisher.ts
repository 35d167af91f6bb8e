import { createHash } from 'node:crypto';

/** One message to publish: the stored event's key, the task it belongs to, and its JSON body. */
export interface OutMessage {
  key: string;
  taskId: string | null;
  body: Buffer;
}

/**
 * A broker client. `publish` sends a batch in order and resolves once the broker confirmed every message;
 * on a failure it rejects with {@link PublishError}, whose `confirmed` tells how many leading messages were
 * confirmed (the relay advances past those only).
 */
export interface Publisher {
  readonly kind: 'nats' | 'bullmq' | 'amqp';
  /** Where it publishes (stream, queue or exchange), for logs and status. */
  readonly target: string;
  publish(batch: readonly OutMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** A failed batch: the first `confirmed` messages were confirmed by the broker, the rest are unknown. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(message: string, readonly confirmed: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Broker-side names, per broker; each has a default. */
export interface PublisherOptions {
  /** JetStream stream, created if missing. @default 'ZHICHI_RESULTS' */
  stream?: string;
  /** Subject prefix (NATS) and routing-key prefix (RabbitMQ); the task id is appended. @default 'zhichi.results' */
  subjectPrefix?: string;
  /** BullMQ queue, or a RabbitMQ queue declared and bound to the exchange. @default 'zhichi-results' (BullMQ), none (RabbitMQ) */
  queue?: string;
  /** RabbitMQ topic exchange, declared durable. @default 'zhichi.results' */
  exchange?: string;
  /** Broker confirmation timeout per batch, ms. @default 10000 */
  timeoutMs?: number;
}

/** Default names of {@link PublisherOptions}. */
export const PUBLISHER_DEFAULTS = {
  stream: 'ZHICHI_RESULTS',
  subjectPrefix: 'zhichi.results',
  queue: 'zhichi-results',
  exchange: 'zhichi.results',
  timeoutMs: 10_000,
} as const;

/**
 * The subject / routing-key token of a task id: characters a NATS token or AMQP word cannot hold
 * (`.`, `*`, `>`, whitespace and anything outside `A-Za-z0-9_-`) become `_`; a missing task id is `_none`.
 */
export function taskToken(taskId: string | null): string {
  if (taskId === null || taskId === '') return '_none';
  return taskId.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** sha256 of the key, hex: the id form used where a broker restricts ids (BullMQ jobIds, long AMQP ids). */
export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * The BullMQ jobId of an event key: `zr-` + sha256(key) hex. BullMQ refuses ids with `:` or that look
 * like integers, and stored keys may contain both, so the id is a digest (stable, so a republish of
 * the same event hits the same job).
 */
export function jobIdOf(key: string): string {
  return `zr-${keyHash(key)}`;
}

/** The AMQP `message-id` of an event key: the key itself, or `sha256:<hex>` when it exceeds 255 bytes (a shortstr). */
export function messageIdOf(key: string): string {
  return Buffer.byteLength(key) <= 255 ? key : `sha256:${keyHash(key)}`;
}

/** Which broker a URL names, by scheme. */
export function brokerOf(url: string): Publisher['kind'] {
  const scheme = /^([a-z0-9+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'nats' || scheme === 'tls') return 'nats';
  if (scheme === 'redis' || scheme === 'rediss') return 'bullmq';
  if (scheme === 'amqp' || scheme === 'amqps') return 'amqp';
  throw new TypeError(`--to must be a nats://, redis:// or amqp:// URL (got "${redactUrl(url)}")`);
}

/** A broker URL safe to print: the password is removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}

/** Opens a publisher for the URL; the broker's client library is imported only here. */
export async function openPublisher(url: string, options: PublisherOptions = {}): Promise<Publisher> {
  const kind = brokerOf(url);
  if (kind === 'nats') return (await import('./nats.js')).NatsPublisher.open(url, options);
  if (kind === 'bullmq') return (await import('./bullmq.js')).BullmqPublisher.open(url, options);
  return (await import('./amqp.js')).AmqpPublisher.open(url, options);
}

/** Imports an optional peer dependency with an install hint when it is missing. */
export async function peer<T>(name: string, version: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new Error(`this broker needs ${name}: npm install ${name}@${version} (${(err as Error).message})`);
  }
}
