// The dashboard's HTTP handler over real HTTP on loopback: JSON endpoints, CSV export, the live SSE
// stream, the access token, the loopback-only rule and read-only methods.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, csvCell, serveDashboard, type RunningDashboard } from '../src/dashboard/handler.js';
import type { NewEvent } from '../src/push/store.js';
import { freshStore, type TestStore } from './fixtures/push-stores.js';
import { TEST_NOW } from './helpers.js';

const TOKEN = 'dashboard-token-0123456789';

function ev(i: number, over: NewEvent['fields'] = {}): NewEvent {
  return {
    key: `k${i}`, source: 'push', known: true, receivedAt: TEST_NOW + i, remoteAddress: '127.0.0.1', contentType: 'application/json',
    fields: { taskId: 't1', outId: `o${i}`, attempt: 1, callResult: i % 3 === 0 ? 0 : 1, telephone: `1380000${String(i).padStart(4, '0')}`, startTime: TEST_NOW + i * 60_000, talkDuration: i % 3 === 0 ? 25 : 0, ...over },
    raw: new TextEncoder().encode('{}'),
  };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const r = await request(url, { headers });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

describe('dashboard handler', () => {
  let ts: TestStore;
  let open: RunningDashboard;
  let secured: RunningDashboard;

  beforeAll(async () => {
    ts = await freshStore('sqlite');
    await ts.store.insert(Array.from({ length: 30 }, (_, i) => ev(i + 1)));
    await ts.store.insert([ev(31, { outId: '=HYPERLINK("http://evil")', intent: 'A,"B"', callResult: 0 })]);
    open = await serveDashboard({ store: ts.location, pollMs: 20 });
    secured = await serveDashboard({ store: ts.location, token: TOKEN, basePath: '/dash' });
  });

  afterAll(async () => {
    await open.close();
    await secured.close();
    await ts.cleanup();
  });

  it('serves the page with a strict CSP and the JSON overview and task stats', async () => {
    const page = await get(open.url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<div id="app">');
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'none'");
    expect(String(page.headers['content-security-policy'])).toContain("connect-src 'self'");
    const o = JSON.parse((await get(`${open.url}api/overview`)).text);
    expect(o).toEqual(JSON.parse(JSON.stringify(await open.dashboard.readModel.overview())));
    expect(o.tasks[0]).toMatchObject({ taskId: 't1', results: 31, answered: 11 });
    const s = JSON.parse((await get(`${open.url}api/tasks/t1/stats`)).text);
    expect(s.progress).toMatchObject({ results: 31, answeredResults: 11, contactsCalled: 31, contacts: null });
    expect(s.timeZone).toBe('Asia/Shanghai');
  });

  it('pages results with a keyset cursor, masks phones unless asked, rejects a bad filter by name', async () => {
    const p1 = JSON.parse((await get(`${open.url}api/tasks/t1/results?limit=10&callResult=1`)).text);
    expect(p1.total).toBe(20);
    expect(p1.rows).toHaveLength(10);
    expect(p1.rows[0].phone).toMatch(/^138\*{4}\d{4}$/);
    const p2 = JSON.parse((await get(`${open.url}api/tasks/t1/results?limit=10&callResult=1&before=${p1.next}`)).text);
    expect(p2.rows.every((r: { id: number }) => r.id < p1.next)).toBe(true);
    expect(new Set([...p1.rows, ...p2.rows].map((r: { id: number }) => r.id)).size).toBe(20);
    const full = JSON.parse((await get(`${open.url}api/tasks/t1/results?limit=1&phones=full`)).text);
    expect(full.rows[0].phone).toBe('13800000031');
    const bad = await get(`${open.url}api/tasks/t1/results?callResult=0,x`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toMatch(/^callResult: must be a comma-separated list of integer codes/);
    expect((await get(`${open.url}api/tasks/t1/results?limit=5000`)).status).toBe(400);
  });

  it('exports the filtered set as CSV, formulas defused, quotes escaped', async () => {
    const r = await get(`${open.url}api/tasks/t1/results.csv?callResult=0`);
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="results-t1.csv"');
    const lines = r.text.replace(/^\ufeff/, '').trim().split('\r\n');
    expect(lines[0]).toBe('id,task_id,out_id,phone,outcome,call_result,intent,talk_seconds,attempt,start_time,received_at');
    expect(lines).toHaveLength(1 + 11);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(lines[1]).toContain('"A,""B"""');
    expect(lines[1]).toContain('138****0031');
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell(-3)).toBe('-3');
  });

  it('streams a stored event to the open SSE connection', async () => {
    const r = await request(`${open.url}api/events`);
    expect(r.headers['content-type']).toContain('text/event-stream');
    const seen: number[] = [];
    let buf = '';
    const gotNew = new Promise<void>((resolve) => {
      r.body.on('data', (c: Buffer) => {
        buf += c.toString();
        for (const m of buf.matchAll(/data: \{"maxId":(\d+)\}/g)) if (!seen.includes(Number(m[1]))) seen.push(Number(m[1]));
        if (seen.length === 1 && seen[0] === 31) void ts.store.insert([ev(32)]);
        if (seen.includes(32)) resolve();
      });
    });
    await gotNew;
    r.body.destroy();
    expect(seen).toEqual([31, 32]);
  });

  it('is read-only and answers only loopback host names without a token', async () => {
    const post = await request(`${open.url}api/overview`, { method: 'POST', body: '{}' });
    expect(post.statusCode).toBe(405);
    await post.body.text();
    const rebind = await get(`${open.url}api/overview`, { host: 'evil.example:80' });
    expect(rebind.status).toBe(403);
    await expect(serveDashboard({ store: ts.location, host: '0.0.0.0' })).rejects.toThrow(/requires an access token/);
    await expect(createDashboard({ store: ts.location, token: 'short' })).rejects.toThrow(/^token: must be at least 16/);
  });

  it('with a token: 401 without it, a cookie for ?token= (removed from the URL), bearer works, any Host', async () => {
    const base = secured.url; // …/dash/
    expect(base.endsWith('/dash/')).toBe(true);
    expect((await get(`${base}api/overview`)).status).toBe(401);
    expect((await get(`${base}api/overview`, { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    const first = await get(`${base}?token=${TOKEN}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/dash/');
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(String(first.headers['set-cookie'])).toContain('HttpOnly');
    expect((await get(`${base}api/overview`, { cookie })).status).toBe(200);
    expect((await get(`${base}api/overview`, { authorization: `Bearer ${TOKEN}`, host: 'dashboard.example.com' })).status).toBe(200);
    expect((await get(`${base.replace('/dash/', '/other')}`, { cookie })).status).toBe(404);
  });
});
