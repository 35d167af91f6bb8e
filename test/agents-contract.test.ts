import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  agentsCallRecord, agentsSignature, agentsAuthHeaders, createJobBody, importAsyncBody, jobStatus, signatureString, callRecordsBody,
} from '../src/contract/agents/index.js';

// The worked example of api/sobot-agents.md §1.1 (placeholders, computed there with sha256sum and hashlib).
const EXAMPLE = { appKey: 'demoAppKey123456', appSecret: 'demoAppSecret000000000000000000', tenantSign: 'demotenant' };
const EXAMPLE_TS = 1735689600000;

describe('Agents signature (api/sobot-agents.md §1.1)', () => {
  it('builds the documented 132-byte string', () => {
    const s = signatureString(EXAMPLE, EXAMPLE_TS);
    expect(s).toBe('demotenantappKey=demoAppKey123456&appSecret=demoAppSecret000000000000000000&tenantSign=demotenant&version=v1&timestamp=1735689600000');
    expect(Buffer.byteLength(s, 'utf8')).toBe(132);
  });
  it('matches the worked example', () => {
    expect(agentsSignature(EXAMPLE, EXAMPLE_TS)).toBe('183883d6c2432314b1fab68a3622489f0580b9763c7ba74da10d2286ffdab7a5');
  });
  it('changes with the timestamp and the secret', () => {
    const other = agentsSignature(EXAMPLE, EXAMPLE_TS + 1);
    expect(other).not.toBe('183883d6c2432314b1fab68a3622489f0580b9763c7ba74da10d2286ffdab7a5');
    expect(other).toBe(createHash('sha256').update(signatureString(EXAMPLE, EXAMPLE_TS + 1)).digest('hex'));
    expect(agentsSignature({ ...EXAMPLE, appSecret: 'x' }, EXAMPLE_TS)).not.toBe(agentsSignature(EXAMPLE, EXAMPLE_TS));
  });
  it('sends appkey, timestamp (ms) and signature, never the secret or tenantSign', () => {
    const h = agentsAuthHeaders(EXAMPLE, EXAMPLE_TS);
    expect(h).toMatchObject({ appkey: 'demoAppKey123456', timestamp: '1735689600000', signature: '183883d6c2432314b1fab68a3622489f0580b9763c7ba74da10d2286ffdab7a5' });
    expect(JSON.stringify(h)).not.toContain(EXAMPLE.appSecret);
    expect(JSON.stringify(h)).not.toContain('demotenant');
  });
});

const job = {
  robotCallJob: { name: 'Renewals', dialogFlowId: 11, mode: 'MANUAL', dailyStartTime: '09:00', dailyEndTime: '20:00', robotCount: 2, phoneType: 'LANDLINE' },
  concurrencyQuota: 2,
  jobPhoneNumberIdList: [501],
};

function issues(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, v: unknown): string[] {
  const r = schema.safeParse(v);
  return r.success ? [] : r.error!.issues.map((i) => `${i.path.join('.')} ${i.message}`);
}

describe('Agents request rules name the field', () => {
  it('accepts the documented create body and keeps unknown keys', () => {
    const r = createJobBody.parse({ ...job, extra: 1, robotCallJob: { ...job.robotCallJob, smsTemplateId: 7 } });
    expect(r.extra).toBe(1);
    expect(r.robotCallJob.smsTemplateId).toBe(7);
  });
  const cases: Array<[string, unknown, RegExp]> = [
    ['window order', { ...job, robotCallJob: { ...job.robotCallJob, dailyStartTime: '20:00', dailyEndTime: '09:00' } }, /^robotCallJob.dailyEndTime must be after dailyStartTime/],
    ['AUTO needs startTime', { ...job, robotCallJob: { ...job.robotCallJob, mode: 'AUTO' } }, /^robotCallJob.startTime is required when mode is AUTO/],
    ['bad HH:mm', { ...job, robotCallJob: { ...job.robotCallJob, dailyStartTime: '9:00' } }, /^robotCallJob.dailyStartTime must be HH:mm/],
    ['redial partial', { ...job, robotCallJob: { ...job.robotCallJob, redialTimes: 2 } }, /^robotCallJob.redialCondition is required/],
    ['redial interval', { ...job, robotCallJob: { ...job.robotCallJob, redialCondition: ['BUSY'], redialTimes: 2, redialInterval: 5 } }, /^robotCallJob.redialInterval must be at least 6/],
    ['four inactive windows', { ...job, robotCallJob: { ...job.robotCallJob, inactiveTimeList: Array(4).fill({ startTime: '12:00', endTime: '13:00' }) } }, /^robotCallJob.inactiveTimeList must have at most 3/],
    ['line count', { ...job, jobPhoneNumberIdList: [1, 2] }, /^jobPhoneNumberIdList must hold exactly one id/],
    ['quota', { ...job, concurrencyQuota: undefined }, /^concurrencyQuota is required unless phoneType is MOBILE/],
    ['name length', { ...job, robotCallJob: { ...job.robotCallJob, name: 'x'.repeat(51) } }, /^robotCallJob.name must be at most 50/],
  ];
  for (const [what, body, re] of cases) {
    it(what, () => expect(issues(createJobBody, body).some((s) => re.test(s)), issues(createJobBody, body).join('; ')).toBe(true));
  }
  it('import: at most 10,000 per call and phone ≤ 32 characters', () => {
    const many = Array.from({ length: 10_001 }, (_, i) => ({ phoneNumber: String(13800000000 + i) }));
    expect(issues(importAsyncBody, { robotCallJobId: 1, customerPersons: many })).toEqual(['customerPersons must have at most 10000 customers per call']);
    expect(issues(importAsyncBody, { robotCallJobId: 1, customerPersons: [{ phoneNumber: '1'.repeat(33) }] })).toEqual(['customerPersons.0.phoneNumber must be at most 32 characters']);
  });
  it('records: pageSize at most 20', () => {
    expect(issues(callRecordsBody, { robotCallJobId: 1, pageSize: 21 })).toEqual(['pageSize must be at most 20']);
  });
});

describe('open enums and tolerant responses', () => {
  it('an unknown status passes through', () => {
    expect(jobStatus.parse('TIMED_OUT_SOMETHING')).toBe('TIMED_OUT_SOMETHING');
  });
  it('a record keeps unknown fields and unknown result statuses', () => {
    const r = agentsCallRecord.parse({ callRecordId: 9, robotCallJobId: 1, calledPhoneNumber: '13800000000', resultStatus: 'NEW_KIND', billingTime: 60 });
    expect(r.resultStatus).toBe('NEW_KIND');
    expect(r.billingTime).toBe(60);
  });
});
