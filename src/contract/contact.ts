import { z } from 'zod';
import { normalizePhone } from './phone.js';
import { callRecord } from './results.js';
import { OUT_ID_RULE, outIdProblem } from './common.js';

/** Maximum contacts in one add-contacts request (assumed; the real cap is unknown, sobot-v5.md §3.3). */
export const MAX_CONTACTS_PER_REQUEST = 1000;

/** `outId`: a string (numbers are converted), trimmed, non-empty, at most 64 characters; `safe` adds the URL-safe set. */
function outIdField(safe: boolean) {
  const base = z
    .union([z.string(), z.number()], { error: 'must be a non-empty string' })
    .transform((v) => String(v).trim())
    .refine((v) => v.length > 0, 'must be a non-empty string')
    .refine((v) => v.length <= 64, 'must be at most 64 characters');
  // Length problems are reported above: the set rule only speaks for the characters.
  return safe ? base.refine((v) => v.length === 0 || v.length > 64 || outIdProblem(v) === null, OUT_ID_RULE) : base;
}

function contactItemOf(safe: boolean) {
  return z.looseObject({
    outId: outIdField(safe),
    telephone: z.unknown().transform((v, ctx) => {
      const r = normalizePhone(v);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: r.reason });
        return z.NEVER;
      }
      return r.phone;
    }),
  });
}

/**
 * One item of `contactList` (api/sobot-v5.md §3.3: `outId`, `telephone` [C]).
 * `outId` is restricted to the URL-safe set {@link OUT_ID_SAFE} (assumed rule, ours: it is put
 * into the path of `reference-task-contacts/{outId}`), checked before anything is sent.
 * `telephone` is normalised (see normalizePhone); every other key is passed through as a
 * template variable for the script's `{var}` placeholders (assumed).
 */
export const contactItem = contactItemOf(true);
/**
 * {@link contactItem} without the URL-safe rule on `outId`: what the emulator accepts by default
 * (a server stores any outId in a JSON body; only the look-up by path is at risk).
 */
export const contactItemAnyOutId = contactItemOf(false);
export type Contact = z.input<typeof contactItem>;
export type ValidContact = z.output<typeof contactItem>;

function addContactsBodyOf<I extends z.ZodType>(item: I) {
  return z
    .looseObject({
      taskId: z.string().optional(),
      contactList: z
        .array(item, { error: 'must be a list of contacts' })
        .min(1, 'must have at least one contact')
        .max(MAX_CONTACTS_PER_REQUEST, `must have at most ${MAX_CONTACTS_PER_REQUEST} contacts per request`),
    })
    .superRefine(
      (b, ctx) => {
        // Runs even when some items failed (`when` below), so one pass reports every problem.
        // Items may be untransformed here: read outId defensively.
        const list: unknown = (b as { contactList?: unknown }).contactList;
        if (!Array.isArray(list)) return;
        const seen = new Map<string, number>();
        list.forEach((c: unknown, i) => {
          const raw = c && typeof c === 'object' ? (c as { outId?: unknown }).outId : undefined;
          if (typeof raw !== 'string' && typeof raw !== 'number') return;
          const outId = String(raw).trim();
          if (outId === '') return;
          const first = seen.get(outId);
          if (first !== undefined) {
            ctx.addIssue({ code: 'custom', path: ['contactList', i, 'outId'], message: `must be unique within a request (same as contactList[${first}])` });
          } else seen.set(outId, i);
        });
      },
      { when: () => true },
    );
}

/** Body of `POST tasks/{taskId}/task-contacts`. */
export const addContactsBody = addContactsBodyOf(contactItem);
/** {@link addContactsBody} with {@link contactItemAnyOutId} items (the emulator's default). */
export const addContactsBodyAnyOutId = addContactsBodyOf(contactItemAnyOutId);

/** `content` of add contacts (assumed). */
export const addContactsContent = z.looseObject({
  successCount: z.number().optional(),
  duplicateCount: z.number().optional(),
  failCount: z.number().optional(),
  failList: z
    .array(z.looseObject({ outId: z.string().optional(), telephone: z.string().optional(), reason: z.string().optional() }))
    .optional(),
});
export type AddContactsResult = z.infer<typeof addContactsContent>;

/** `content` of `GET tasks/{taskId}/reference-task-contacts/{outId}` (assumed). */
export const contactDetail = z.looseObject({
  taskId: z.string().optional(),
  outId: z.string(),
  telephone: z.string().optional(),
  /** CONTACT_STATUS code (assumed). */
  status: z.number().optional(),
  statusName: z.string().optional(),
  /** Call attempts made so far. */
  attempts: z.number().optional(),
  lastCallResult: z.number().nullable().optional(),
  lastCallTime: z.number().nullable().optional(),
  nextCallTime: z.number().nullable().optional(),
  intent: z.string().nullable().optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
  calls: z.array(callRecord).optional(),
});
export type ContactDetail = z.infer<typeof contactDetail>;
