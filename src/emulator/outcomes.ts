import { CALL_RESULT, HANGUP_BY, INTENT_LABELS } from '../contract/index.js';
import { hashInts, mix32, unit } from './random.js';

/**
 * The outcome table of the emulator's dialer (ASSUMED: V5 publishes no result table or statistics;
 * the proportions are typical of Chinese B2C robot campaigns). `weight` is the share of call
 * attempts in percent; `ring`/`talk` are ranges in seconds.
 */
export const OUTCOME_TABLE: ReadonlyArray<{
  result: number;
  name: keyof typeof CALL_RESULT;
  weight: number;
  ring: readonly [number, number];
  talk: readonly [number, number];
}> = [
  { result: CALL_RESULT.ANSWERED, name: 'ANSWERED', weight: 35, ring: [3, 20], talk: [8, 180] },
  { result: CALL_RESULT.NO_ANSWER, name: 'NO_ANSWER', weight: 25, ring: [30, 60], talk: [0, 0] },
  { result: CALL_RESULT.BUSY, name: 'BUSY', weight: 8, ring: [1, 5], talk: [0, 0] },
  { result: CALL_RESULT.POWER_OFF, name: 'POWER_OFF', weight: 8, ring: [2, 8], talk: [0, 0] },
  { result: CALL_RESULT.OUT_OF_SERVICE, name: 'OUT_OF_SERVICE', weight: 4, ring: [2, 8], talk: [0, 0] },
  { result: CALL_RESULT.REFUSED, name: 'REFUSED', weight: 10, ring: [3, 15], talk: [0, 0] },
  { result: CALL_RESULT.VACANT_NUMBER, name: 'VACANT_NUMBER', weight: 5, ring: [2, 8], talk: [0, 0] },
  { result: CALL_RESULT.CAN_NOT_CONNECT, name: 'CAN_NOT_CONNECT', weight: 4, ring: [1, 4], talk: [0, 0] },
  { result: CALL_RESULT.SYSTEM_ERROR, name: 'SYSTEM_ERROR', weight: 1, ring: [0, 2], talk: [0, 0] },
];

/** Intent label shares of answered calls, in percent, aligned with INTENT_LABELS (ASSUMED). */
export const INTENT_WEIGHTS: readonly number[] = [5, 10, 20, 25, 20, 20];

const CUM: number[] = [];
{
  let acc = 0;
  for (const o of OUTCOME_TABLE) CUM.push((acc += o.weight) / 100);
}
const INTENT_CUM: number[] = [];
{
  let acc = 0;
  for (const w of INTENT_WEIGHTS) INTENT_CUM.push((acc += w) / 100);
}

/** One simulated call attempt, before it is stored. */
export interface Outcome {
  result: number;
  /** Seconds ringing before answer or failure. */
  ring: number;
  /** Seconds talking (0 unless answered). */
  talk: number;
  /** Index into INTENT_LABELS, or -1 when not answered. */
  intent: number;
  /** HANGUP_BY code. */
  hangupBy: number;
}

function pick(cum: readonly number[], u: number): number {
  for (let i = 0; i < cum.length; i++) if (u < cum[i]!) return i;
  return cum.length - 1;
}

function range(r: readonly [number, number], u: number): number {
  return r[0] + Math.floor(u * (r[1] - r[0] + 1));
}

/**
 * The outcome of attempt `attempt` to contact number `contact` of task number `taskSeq`, a pure
 * function of the seed: reruns with the same seed and inputs give the same calls whatever the timing.
 */
export function outcomeFor(seed: number, taskSeq: number, contact: number, attempt: number, out: Outcome): Outcome {
  const h = hashInts(seed, taskSeq, contact, attempt);
  const o = OUTCOME_TABLE[pick(CUM, unit(mix32(h + 1)))]!;
  out.result = o.result;
  out.ring = range(o.ring, unit(mix32(h + 2)));
  if (o.result === CALL_RESULT.ANSWERED) {
    // Talk time skewed short (most people hang up early): square of a uniform.
    const u = unit(mix32(h + 3));
    out.talk = range(o.talk, u * u);
    // Longer conversations lean to better intent labels.
    const ui = unit(mix32(h + 4));
    const bias = Math.min(0.99, ui * (1 - 0.5 * (out.talk / o.talk[1])));
    out.intent = pick(INTENT_CUM, bias);
    out.hangupBy = unit(mix32(h + 5)) < 0.6 ? HANGUP_BY.CUSTOMER : HANGUP_BY.ROBOT;
  } else {
    out.talk = 0;
    out.intent = -1;
    out.hangupBy = HANGUP_BY.OTHER;
  }
  return out;
}

/** The intent label of an index from {@link Outcome.intent}. */
export function intentLabel(i: number): string | null {
  return i >= 0 ? (INTENT_LABELS[i] ?? null) : null;
}
