import { contactItem, type ValidContact } from '../contract/index.js';
import { formatPath } from '../errors.js';
import { ImportFileError } from './errors.js';

/** Which columns hold the phone number and the outId; every other column is a template variable. */
export interface ColumnMapping {
  phoneColumn: string;
  outIdColumn: string;
}

/** Columns tried, in order, when `--phone-column` is not given. */
export const PHONE_COLUMNS = ['telephone', 'phone', 'mobile', 'tel', 'phoneNumber', '手机号', '手机', '电话'] as const;
/** Columns tried, in order, when `--out-id-column` is not given. */
export const OUT_ID_COLUMNS = ['outId', 'out_id', 'outid', 'OutId', '编号'] as const;

/** Contact fields a variable column must not overwrite. */
const RESERVED = new Set(['outId', 'telephone']);

function pick(columns: readonly string[], explicit: string | undefined, candidates: readonly string[], flag: string, what: string): string {
  if (explicit !== undefined) {
    if (columns.includes(explicit)) return explicit;
    const ci = columns.find((c) => c.toLowerCase() === explicit.toLowerCase());
    if (ci !== undefined) return ci;
    throw new ImportFileError(`${flag} "${explicit}" is not a column of the file (columns: ${columns.join(', ') || 'none'})`);
  }
  for (const c of candidates) if (columns.includes(c)) return c;
  throw new ImportFileError(`no ${what} column found (tried ${candidates.join(', ')}; columns: ${columns.join(', ') || 'none'}): use ${flag}`);
}

/** Picks the phone and outId columns among `columns`; throws naming the flag to use when one is missing. */
export function resolveMapping(columns: readonly string[], opts: { phoneColumn?: string | undefined; outIdColumn?: string | undefined }): ColumnMapping {
  const phoneColumn = pick(columns, opts.phoneColumn, PHONE_COLUMNS, '--phone-column', 'phone');
  const outIdColumn = pick(columns, opts.outIdColumn, OUT_ID_COLUMNS, '--out-id-column', 'outId');
  if (phoneColumn === outIdColumn) throw new ImportFileError(`the phone column and the outId column must differ (both "${phoneColumn}")`);
  return { phoneColumn, outIdColumn };
}

/** Result of mapping one row: a valid contact, or the reason it is rejected. */
export type MappedRow = { ok: true; contact: ValidContact } | { ok: false; reason: string; outId: unknown; telephone: unknown };

/**
 * Turns a file row into a contact with the shared contract (`contactItem`: outId rules, phone
 * normalisation), so a row accepted here is accepted by the client and the server alike.
 */
export function mapRow(record: Record<string, unknown>, m: ColumnMapping): MappedRow {
  const outId = record[m.outIdColumn];
  const telephone = record[m.phoneColumn];
  // Only outId and telephone have rules; every other key passes through `contactItem` unchanged
  // (z.looseObject). Validating the two alone and copying the variables after gives the same
  // contact, without zod's two objects per extra key on every row of a big file.
  const r = contactItem.safeParse({ outId, telephone });
  if (!r.success) {
    const reason = r.error.issues
      .map((i) => {
        const path = formatPath(i.path);
        // Name the file's column, which is what the user will fix.
        const col = path === 'telephone' ? m.phoneColumn : path === 'outId' ? m.outIdColumn : path;
        return `${col} ${i.message}`;
      })
      .join('; ');
    return { ok: false, reason, outId, telephone };
  }
  const contact: Record<string, unknown> = r.data;
  // With the columns already named outId and telephone, every other key is a variable (as zod
  // would pass it); otherwise a column named like a contact field, or with no name, is dropped.
  const renamed = m.outIdColumn !== 'outId' || m.phoneColumn !== 'telephone';
  for (const k in record) {
    if (k === m.phoneColumn || k === m.outIdColumn || k === '__proto__') continue; // zod drops __proto__ too
    if (renamed && (RESERVED.has(k) || k === '')) continue;
    contact[k] = record[k];
  }
  return { ok: true, contact: contact as ValidContact };
}
