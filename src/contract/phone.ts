/**
 * Phone-number rules shared by contacts, CSV import and the emulator.
 *
 * Accepted (api/sobot-v5.md §3.3 shows mainland mobiles as strings; landlines are assumed):
 * - mainland mobile: 11 digits starting with 1[3-9];
 * - landline with area code: 0 + 2–3 digit area code + 7–8 digit number, separators allowed;
 * - an optional country prefix `+86`, `86` or `0086` in front of either.
 * The normalised form is digits only, without the country prefix.
 */

const MOBILE = /^1[3-9]\d{9}$/;
// Area codes: 010, 02x (3 digits incl. 0), others 0xxx (4 digits incl. 0).
const LANDLINE = /^0(?:10|2\d|[3-9]\d{2})[2-9]\d{6,7}$/;

/** Outcome of {@link normalizePhone}. */
export type PhoneResult =
  | { ok: true; phone: string; kind: 'mobile' | 'landline' }
  | { ok: false; reason: string };

/** Normalises a mainland phone number; never throws. */
export function normalizePhone(input: unknown): PhoneResult {
  if (typeof input !== 'string' && typeof input !== 'number') {
    return { ok: false, reason: 'must be a phone number string' };
  }
  let s = String(input).trim();
  if (s === '') return { ok: false, reason: 'must not be empty' };
  s = s.replace(/[\s\-().]/g, '');
  if (s.startsWith('+86')) s = s.slice(3);
  else if (s.startsWith('0086')) s = s.slice(4);
  else if (s.startsWith('86') && s.length >= 12) s = s.slice(2);
  if (!/^\d+$/.test(s)) return { ok: false, reason: 'must contain only digits (and an optional +86 prefix)' };
  if (MOBILE.test(s)) return { ok: true, phone: s, kind: 'mobile' };
  if (LANDLINE.test(s)) return { ok: true, phone: s, kind: 'landline' };
  if (s.startsWith('1')) return { ok: false, reason: 'must be a mainland mobile number (11 digits, 13x–19x)' };
  if (s.startsWith('0')) return { ok: false, reason: 'must be a landline with area code (0 + 2–3 digit area code + 7–8 digits)' };
  return { ok: false, reason: 'must be a mainland mobile or a landline with area code' };
}

/** A caller ID (外显号码) as listed by `GET numbers`: digits with an optional leading +, 5–20 long. */
export const CALLER_ID = /^\+?\d{5,20}$/;
