import {
  ZhichiAbortError, ZhichiBusinessError, ZhichiConnectionError, ZhichiCredentialsError, ZhichiError, ZhichiHttpError, ZhichiResponseValidationError,
  ZhichiTokenRateError, ZhichiValidationError,
} from '../errors.js';
import { DEFAULTS } from '../options.js';
import { BUSINESS_CODE } from '../contract/index.js';
import { ImportFailedError, ImportFileError } from '../import/index.js';
import { redactText } from '../internal/redact.js';
import { CliError, EXIT } from './io.js';

/** What the user sees when a command fails: one line and an exit code. */
export interface Failure {
  exitCode: number;
  /** One line, redacted; empty when the command already said everything. */
  line: string;
}

/**
 * Said when the token endpoint is not where the base URL points: a base URL missing its API path
 * (`https://gw.soboten.com/` instead of `https://gw.soboten.com/api/6.0.0/`) makes every request 404.
 */
export const BASE_URL_HINT =
  `no token endpoint under this base URL: it must include the API path, like ${DEFAULTS.baseUrl} ` +
  '(the emulator prints its own, e.g. http://127.0.0.1:<port>/api/6.0.0/); check ZHICHI_BASE_URL or --base-url';

/** Maps any error to its exit code (EXIT) and its one-line message, with a hint where one helps. */
export function describeFailure(err: unknown): Failure {
  if (err instanceof CliError) return { exitCode: err.exitCode, line: oneLine(err.message) };
  if (err instanceof ImportFailedError) {
    const inner = describeFailure(err.cause);
    return { exitCode: inner.exitCode, line: oneLine(err.message) };
  }
  if (err instanceof ImportFileError) return { exitCode: EXIT.USAGE, line: oneLine(err.message) };
  if (err instanceof ZhichiResponseValidationError) return { exitCode: EXIT.API, line: oneLine(`unexpected reply from the API: ${err.message}`) };
  if (err instanceof ZhichiValidationError) return { exitCode: EXIT.USAGE, line: oneLine(err.message) };
  if (err instanceof ZhichiBusinessError && err.code === BUSINESS_CODE.TOKEN_RATE_LIMITED) {
    return { exitCode: EXIT.RATE_LIMITED, line: oneLine(`${err.message} (rate limited: try again later; the token cache (--token-cache, --redis-url) avoids new token requests)`) };
  }
  if (err instanceof ZhichiBusinessError) {
    const hint =
      err instanceof ZhichiCredentialsError || err.code === BUSINESS_CODE.INVALID_CREDENTIALS ? ' (check ZHICHI_KEY and ZHICHI_SECRET)'
      : err.code === BUSINESS_CODE.FORBIDDEN ? ' (check ZHICHI_COMPANY_ID)'
      : '';
    return { exitCode: EXIT.API, line: oneLine(err.message + hint) };
  }
  if (err instanceof ZhichiHttpError) {
    const hint =
      err.status === 401 ? ' (the token was refused even after a refresh: check the credentials and ZHICHI_BASE_URL)'
      : err.status === 404 && (err.path ?? '').startsWith('tokens') ? ` (${BASE_URL_HINT})`
      : '';
    return { exitCode: EXIT.API, line: oneLine(err.message + hint) };
  }
  if (err instanceof ZhichiConnectionError) return { exitCode: EXIT.NETWORK, line: oneLine(`${err.message} (is ZHICHI_BASE_URL right and reachable?)`) };
  if (err instanceof ZhichiTokenRateError) return { exitCode: EXIT.RATE_LIMITED, line: oneLine(`${err.message} (rate limited: try again later)`) };
  if (err instanceof ZhichiAbortError) return { exitCode: EXIT.INTERRUPTED, line: 'interrupted' };
  if (err instanceof ZhichiError) return { exitCode: EXIT.ERROR, line: oneLine(err.message) };
  if (err instanceof Error && err.name === 'AbortError') return { exitCode: EXIT.INTERRUPTED, line: 'interrupted' };
  const msg = err instanceof Error ? err.message : String(err);
  return { exitCode: EXIT.ERROR, line: oneLine(msg || 'unexpected error') };
}

/** Collapses a message to one redacted line. */
export function oneLine(s: string): string {
  return redactText(s).replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The stack and causes of an error, redacted (printed with `--debug` only). */
export function debugDetails(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth < 5; depth++) {
    if (e instanceof Error) parts.push(redactText(e.stack ?? `${e.name}: ${e.message}`));
    else parts.push(redactText(String(e)));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) parts.push('caused by:');
  }
  return parts.join('\n') + '\n';
}
