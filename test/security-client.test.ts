// Attacks on the client (issue 13, findings 4, 5, 6): redirects, causes that hold the URL, a token
// answer cut mid-token. Real servers on loopback; the CJS and ESM builds are checked too.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as src from '../src/index.js';
import { ZhichiClient, ZhichiRedirectError, ZhichiResponseValidationError, MemoryTokenStore, ZhichiConnectionError, type ClientOptions } from '../src/index.js';

const SECRET = 'attack-api-secret-9Kq2';
const KEY = 'attack-key';
const TOKEN = 'tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef';

interface Srv { server: Server; url: string; hits: string[] }

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Srv> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

let evil: Srv;
let redirecting: Srv;
let cut: Srv;

beforeAll(async () => {
  evil = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 200, message: 'success', content: { accessToken: 'evil-token-0000000000', expiresIn: 86400 } }));
  });
  redirecting = await serve((req, res) => {
    res.writeHead(307, { location: `${evil.url}${req.url ?? '/'}` });
    res.end();
  });
  cut = await serve((_req, res) => {
    // A token answer cut off in the middle of the token (no closing quote, no closing braces).
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"code":200,"message":"success","content":{"accessToken":"${TOKEN.slice(0, 30)}`);
  });
});

afterAll(async () => {
  for (const s of [evil, redirecting, cut]) await new Promise((r) => s.server.close(r));
});

function client(baseUrl: string, over: Partial<ClientOptions> = {}): ZhichiClient {
  return new ZhichiClient({
    apiKey: KEY, apiSecret: SECRET, companyId: 'co-1', baseUrl: `${baseUrl}/`, tokenStore: new MemoryTokenStore(),
    maxRetries: 0, retry: { baseDelayMs: 1, maxDelayMs: 2 }, env: {}, ...over,
  });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

/** Every way an error gets printed. */
function renderings(err: unknown): string[] {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.map((x) => inspect(x, { depth: 10 })).join(' '));
  try {
    console.log(err);
  } finally {
    console.log = orig;
  }
  return [inspect(err, { depth: 10, showHidden: true }), ...lines, JSON.stringify(err), String(err), (err as Error).stack ?? ''];
}

describe('redirects are refused by every sender (finding 4)', () => {
  for (const kind of ['fetch', 'undici'] as const) {
    it(`${kind}: a 307 on GET tokens throws ZhichiRedirectError and nothing reaches the other origin`, async () => {
      evil.hits.length = 0;
      const c = client(redirecting.url, kind === 'fetch' ? { fetch: globalThis.fetch } : {});
      const err = await failure(c.tasks.get('T1'));
      expect(err).toBeInstanceOf(ZhichiRedirectError);
      expect(evil.hits).toEqual([]);
      const r = err as ZhichiRedirectError;
      expect(r.status).toBe(307);
      expect(r.locationOrigin).toBe(evil.url);
      expect(r.message).toContain(evil.url);
      for (const text of renderings(err)) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain('apiSecret=attack');
      }
    });
  }
});

describe('error causes are redacted at construction (finding 5)', () => {
  const leakyFetch = (async (url: string | URL | Request) => {
    throw new TypeError(`fetch failed: request to ${String(url)} refused`, { cause: new Error(`connect ECONNREFUSED for ${String(url)}`) });
  }) as typeof fetch;

  it('util.inspect, console.log, JSON.stringify and String never show the apiSecret (source)', async () => {
    const err = await failure(client('http://127.0.0.1:9', { fetch: leakyFetch }).tasks.get('T1'));
    expect(err).toBeInstanceOf(ZhichiConnectionError);
    expect(inspect(err, { depth: 10 })).toContain('apiSecret=[REDACTED]'); // the cause is still there, redacted
    for (const text of renderings(err)) expect(text).not.toContain(SECRET);
  });

  it('the ESM and CJS builds redact causes too', async () => {
    // dist/ is built from the current sources before the suite (test/global-setup.ts).
    const esm = (await import(`${process.cwd()}/dist/index.js`)) as typeof src;
    const cjs = createRequire(import.meta.url)(`${process.cwd()}/dist/index.cjs`) as typeof src;
    for (const lib of [esm, cjs]) {
      const c = new lib.ZhichiClient({
        apiKey: KEY, apiSecret: SECRET, companyId: 'co-1', baseUrl: 'http://127.0.0.1:9/', tokenStore: new lib.MemoryTokenStore(),
        maxRetries: 0, env: {}, fetch: leakyFetch,
      });
      const err = await failure(c.tasks.get('T1'));
      expect(err).toBeInstanceOf(lib.ZhichiConnectionError);
      for (const text of renderings(err)) expect(text).not.toContain(SECRET);
    }
  });
});

describe('a token answer is never quoted (finding 6)', () => {
  it('a token response cut mid-token puts none of the token in the error', async () => {
    const err = await failure(client(cut.url).tasks.get('T1'));
    expect(err).toBeInstanceOf(ZhichiResponseValidationError);
    for (const text of renderings(err)) {
      expect(text).not.toContain(TOKEN.slice(4, 14));
      expect(text).not.toContain(SECRET);
    }
    expect(err.message).toContain('not quoted');
  });
});
