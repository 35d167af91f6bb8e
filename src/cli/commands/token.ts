import type { Command } from 'commander';
import { tokenCacheLabel } from '../config.js';
import { withClient } from '../context.js';
import { rawStdout, type CliIO } from '../io.js';
import { formatDuration, formatTime, keyValues, printJson } from '../output.js';

/** `zhichi token`: the access token's status and expiry; the token itself only with `--show`. */
export function register(program: Command, io: CliIO): void {
  program
    .command('token')
    .description('show the access token status and expiry (the token itself only with --show)')
    .option('--show', 'print the token itself (it is a credential: keep it out of logs)')
    .option('--refresh', 'fetch a new token even if the cached one is still valid')
    .action(async (opts: { show?: boolean; refresh?: boolean }, cmd: Command) => {
      await withClient(cmd, io, async (client, flags) => {
        const info = await client.tokenInfo({ refresh: Boolean(opts.refresh) });
        const now = Date.now();
        if ('fixed' in info) {
          const out = { status: 'fixed', ...(opts.show ? { accessToken: info.accessToken } : {}) };
          // --show is the one output that prints a secret, on purpose.
          if (flags.json) printJson(io, out, { reveal: opts.show === true });
          else (opts.show ? rawStdout(io) : io.stdout)(keyValues([['status', 'fixed token (no expiry known)'], ...(opts.show ? [['token', info.accessToken] as [string, unknown]] : [])], { reveal: opts.show === true }));
          return;
        }
        // Every time shown is in this host's clock, the one the token manager schedules by: expiresAt
        // is local (see toStoredToken), and so is the mint moment, expiresAt minus the lifetime. The
        // server's createTime is in the server's clock; it is shown as such, never compared with ours.
        const remaining = info.expiresAt - now;
        const status = remaining > 0 ? 'valid' : 'expired';
        const createdAt = info.expiresAt - info.expiresIn * 1000;
        const refreshAt = client.tokenManager?.refreshAt(info) ?? info.expiresAt;
        if (flags.json) {
          printJson(io, {
            status, tokenType: info.tokenType, createdAt, createTime: info.createTime, expiresIn: info.expiresIn, expiresAt: info.expiresAt,
            refreshAt, remainingMs: Math.max(0, remaining), companyId: client.companyId, baseUrl: client.baseUrl, tokenCache: tokenCacheLabel(flags, io, client),
            ...(opts.show ? { accessToken: info.accessToken } : {}),
          }, { reveal: opts.show === true });
          return;
        }
        (opts.show ? rawStdout(io) : io.stdout)(
          keyValues([
            ['status', status],
            ['type', info.tokenType],
            ['created', `${formatTime(createdAt)} (Asia/Shanghai, this host's clock)`],
            ['server time', `${formatTime(info.createTime)} (createTime, in the server's clock)`],
            ['expires', `${formatTime(info.expiresAt)} (in ${formatDuration(Math.max(0, remaining))})`],
            ['refresh', `${formatTime(refreshAt)} (${refreshAt > now ? `in ${formatDuration(refreshAt - now)}` : 'due: the next call mints a new token'})`],
            ['lifetime', `${info.expiresIn} s`],
            ['company', client.companyId],
            ['base URL', client.baseUrl],
            ['cache', tokenCacheLabel(flags, io, client)],
            ['token', opts.show ? info.accessToken : 'hidden (use --show)'],
          ], { reveal: opts.show === true }),
        );
      });
    });
}
