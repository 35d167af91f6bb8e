import { z } from 'zod';

/** A non-empty string option. */
export const nonEmptyString = z.string().min(1, 'must be a non-empty string');

/**
 * The option fields every client of the toolkit (V5 and Agents) validates the same way: where it
 * sends, how long one attempt may take, how often a read is retried, and how long a write settles
 * before its outcome is looked up.
 */
export const transportOptionFields = {
  baseUrl: z.string().refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL'),
  timeoutMs: z.number().int('must be an integer number of ms').positive('must be a positive number of ms'),
  maxRetries: z.number().int('must be an integer').min(0, 'must be 0 or more').max(10, 'must be at most 10'),
  writeSettleMs: z.number().int('must be an integer number of ms').min(0, 'must be 0 or more').optional(),
};
