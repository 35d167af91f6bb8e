import type { StoredEvent } from '../push/store.js';

/**
 * A position in the store's event order. On PostgreSQL it is (inserting transaction id, row id): rows
 * are read in that order and only below the oldest running transaction, so none is skipped (see
 * migration 4). On SQLite, whose ids follow commit order, `tx` is always '0'.
 */
export interface RelayPosition {
  tx: string;
  id: number;
}

/** The durable state of one relay, as kept in `zhichi_relay_cursor`. */
export interface RelayCursorRow {
  relay: string;
  position: RelayPosition;
  /** Events confirmed by the broker, all runs together. */
  published: number;
  /** Failed publish attempts, all runs together. */
  errors: number;
  lastError: string | null;
  /** Instance that holds (or last held) the lease; null when released. */
  owner: string | null;
  /** Epoch ms of the last change. */
  updatedAt: number;
}

/** What `zhichi relay --status` shows: the cursor and what is still behind it. */
export interface RelayStatus extends RelayCursorRow {
  /** Stored events after the cursor. */
  backlog: number;
  /** `receivedAt` (epoch ms) of the oldest event after the cursor; null when none. */
  oldestUnpublishedAt: number | null;
}

/** A stored event with its position. */
export interface PositionedEvent {
  event: StoredEvent;
  position: RelayPosition;
}

/** Raised when this relay no longer holds the lease: another one took over, it must stop publishing. */
export class RelayLeaseLostError extends Error {
  override readonly name = 'RelayLeaseLostError';
}

/**
 * The store side of a relay: leadership, ordered reads after the cursor, compare-and-set advances.
 * One implementation per dialect; the relay never sees SQL.
 */
export interface RelaySource {
  readonly kind: 'sqlite' | 'postgres';
  /** Tries to become the one relay of this name that publishes. */
  acquire(): Promise<boolean>;
  /** Gives leadership up (the cursor stays). */
  release(): Promise<void>;
  /** The cursor row (created if missing). */
  cursor(): Promise<RelayCursorRow>;
  /** Up to `limit` events after `after`, in order. */
  read(after: RelayPosition, limit: number): Promise<PositionedEvent[]>;
  /**
   * Moves the cursor from `from` to `to` and adds `published`, only if it still is at `from` and this
   * relay still leads; otherwise throws {@link RelayLeaseLostError}.
   */
  advance(from: RelayPosition, to: RelayPosition, published: number): Promise<void>;
  /** Counts a failed publish and keeps its (redacted) message. */
  recordError(message: string): Promise<void>;
  /** Cursor plus backlog. */
  status(): Promise<RelayStatus>;
  /** Resolves when new events may be there (a NOTIFY, or the poll interval), or when `signal` aborts. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Resolves after `ms`, or at once when `signal` aborts (or `wake` is called). */
export function sleep(ms: number, signal: AbortSignal, onWake?: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    onWake?.(done);
  });
}
