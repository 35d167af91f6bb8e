import type { Client } from 'pg';
import { rowToEvent } from '../push/store.js';
import { cursorRow } from './sqlite-source.js';
import { RelayLeaseLostError, sleep, type PositionedEvent, type RelayCursorRow, type RelayPosition, type RelaySource, type RelayStatus } from './source.js';
import { loadPg } from '../push/pg-connect.js';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Relay source on PostgreSQL, on ONE dedicated connection. Leadership is a session advisory lock keyed
 * by schema and relay name: several relays on one store, one publishes, the others wait; when the leader's
 * process dies its connection closes and the server frees the lock for the next one. The cursor advance
 * runs on the same connection and compares the old position, so a relay that lost its session cannot
 * move the cursor. New events are announced by the statement trigger of migration 4 (LISTEN/NOTIFY).
 */
export class PostgresRelaySource implements RelaySource {
  readonly kind = 'postgres' as const;
  readonly #c: Client;
  readonly #schema: string;
  readonly #relay: string;
  readonly #owner: string;
  readonly #now: () => number;
  readonly #t: string;
  readonly #cur: string;
  #wake: (() => void) | null = null;
  #notified = false;
  #leader = false;
  #broken: Error | null = null;

  private constructor(c: Client, schema: string, relay: string, owner: string, now: () => number) {
    this.#c = c;
    this.#schema = schema;
    this.#relay = relay;
    this.#owner = owner;
    this.#now = now;
    this.#t = `${ident(schema)}.zhichi_events`;
    this.#cur = `${ident(schema)}.zhichi_relay_cursor`;
  }

  /** Connects to the (already migrated) schema and LISTENs for new events. */
  static async open(url: string, schema: string, relay: string, owner: string, now: () => number): Promise<PostgresRelaySource> {
    const pg = await loadPg();
    const c = new pg.Client({ connectionString: url });
    const s = new PostgresRelaySource(c, schema, relay, owner, now);
    // A lost connection also loses the lock: remember it, so the next call fails and the relay reconnects.
    c.on('error', (err) => {
      s.#broken = err;
      s.#leader = false;
      s.#wake?.();
    });
    c.on('notification', (n) => {
      if (n.payload !== schema) return;
      s.#notified = true;
      s.#wake?.();
    });
    await c.connect();
    await c.query('LISTEN zhichi_events');
    await c.query(`INSERT INTO ${s.#cur} (relay, updated_at) VALUES ($1, $2) ON CONFLICT (relay) DO NOTHING`, [relay, now()]);
    return s;
  }

  #check(): void {
    if (this.#broken) throw new Error(`relay connection lost: ${this.#broken.message}`);
  }

  async acquire(): Promise<boolean> {
    this.#check();
    if (this.#leader) return true;
    const { rows } = await this.#c.query<{ ok: boolean }>(
      "SELECT pg_try_advisory_lock(hashtext('zhichi_relay'), hashtext($1 || ':' || $2)) AS ok",
      [this.#schema, this.#relay],
    );
    this.#leader = rows[0]?.ok === true;
    if (this.#leader) {
      await this.#c.query(`UPDATE ${this.#cur} SET owner = $2, updated_at = $3 WHERE relay = $1`, [this.#relay, this.#owner, this.#now()]);
    }
    return this.#leader;
  }

  async release(): Promise<void> {
    if (!this.#leader || this.#broken) return;
    this.#leader = false;
    await this.#c.query(`UPDATE ${this.#cur} SET owner = NULL, updated_at = $3 WHERE relay = $1 AND owner = $2`, [this.#relay, this.#owner, this.#now()]);
    await this.#c.query("SELECT pg_advisory_unlock(hashtext('zhichi_relay'), hashtext($1 || ':' || $2))", [this.#schema, this.#relay]);
  }

  async cursor(): Promise<RelayCursorRow> {
    this.#check();
    const { rows } = await this.#c.query(`SELECT *, last_tx::text AS last_tx FROM ${this.#cur} WHERE relay = $1`, [this.#relay]);
    return cursorRow(rows[0] as Record<string, unknown>);
  }

  async read(after: RelayPosition, limit: number): Promise<PositionedEvent[]> {
    this.#check();
    if (!this.#leader) throw new RelayLeaseLostError(`relay "${this.#relay}" does not hold the lock`);
    this.#notified = false;
    // Only rows of transactions older than every running one: those are final, nothing can appear below.
    const { rows } = await this.#c.query(
      `SELECT *, tx_id::text AS tx_text FROM ${this.#t}
       WHERE (tx_id, id) > ($1::xid8, $2::int8) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY tx_id, id LIMIT $3`,
      [after.tx, after.id, limit],
    );
    return rows.map((r: Record<string, unknown>) => ({ event: rowToEvent(r), position: { tx: String(r['tx_text']), id: Number(r['id']) } }));
  }

  async advance(from: RelayPosition, to: RelayPosition, published: number): Promise<void> {
    this.#check();
    const r = await this.#c.query(
      `UPDATE ${this.#cur} SET last_tx = $2::xid8, last_id = $3, published = published + $4, owner = $5, updated_at = $6
       WHERE relay = $1 AND last_tx = $7::xid8 AND last_id = $8`,
      [this.#relay, to.tx, to.id, published, this.#owner, this.#now(), from.tx, from.id],
    );
    if (r.rowCount !== 1) throw new RelayLeaseLostError(`relay "${this.#relay}": cursor moved by another relay; stopping`);
  }

  async recordError(message: string): Promise<void> {
    if (this.#broken) return;
    await this.#c.query(`UPDATE ${this.#cur} SET errors = errors + 1, last_error = $2, updated_at = $3 WHERE relay = $1`, [
      this.#relay, message.slice(0, 1000), this.#now(),
    ]);
  }

  async status(): Promise<RelayStatus> {
    const c = await this.cursor();
    const { rows } = await this.#c.query<{ n: string; oldest: string | null }>(
      `SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM ${this.#t} WHERE (tx_id, id) > ($1::xid8, $2::int8)`,
      [c.position.tx, c.position.id],
    );
    const b = rows[0]!;
    return { ...c, backlog: Number(b.n), oldestUnpublishedAt: b.oldest === null ? null : Number(b.oldest) };
  }

  /**
   * Waits for a NOTIFY of this schema or `ms`. A notification that arrived while reading counts: the
   * read may have stopped at a transaction that was still running, so look again soon.
   */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#notified || this.#broken) return sleep(this.#broken ? ms : 10, signal);
    return sleep(ms, signal, (wake) => {
      this.#wake = wake;
    }).finally(() => {
      this.#wake = null;
    });
  }

  async close(): Promise<void> {
    await this.release().catch(() => {});
    await this.#c.end().catch(() => {});
  }
}
