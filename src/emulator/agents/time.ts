import type { ZoneOffsets } from '../calendar.js';

const p2 = (n: number) => String(n).padStart(2, '0');

/** `yyyy-MM-dd HH:mm:ss` of instant `t` in the tenant's zone (api/sobot-agents.md §1). */
export function formatLocal(zone: ZoneOffsets, t: number): string {
  const d = new Date(t + zone.offsetAt(t));
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** `yyyy-MM-dd` of instant `t` in the tenant's zone. */
export function formatLocalDate(zone: ZoneOffsets, t: number): string {
  return formatLocal(zone, t).slice(0, 10);
}

/** The instant of a `yyyy-MM-dd HH:mm:ss` (or `yyyy-MM-dd`) local time in the tenant's zone. */
export function parseLocal(zone: ZoneOffsets, s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  if (!m) return Number.NaN;
  const local = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  return zone.toUtc(local);
}
