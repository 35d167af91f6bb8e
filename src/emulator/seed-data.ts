import type { CallerNumber, Template } from '../contract/index.js';

/**
 * The company's seeded resources (ASSUMED shapes). The seed's template id and caller numbers
 * (`../shared/seed`) are among them so the seed's examples run unchanged.
 */
export const SEED_TEMPLATES: readonly Template[] = [
  { templateId: '0c565ba214064f82a7071b25030f78a7', templateName: '通用回访话术', variables: [], status: 1 },
  { templateId: '5b1f0e9a7c3d4e21b8a6f40d9e2c7a13', templateName: '会员活动邀约', variables: ['name'], status: 1 },
  { templateId: 'a94d27c1e8b34f60a2d5c7e9f1b30864', templateName: '账单到期提醒', variables: ['name', 'amount', 'dueDate'], status: 1 },
  { templateId: 'e3c8b6a2d9f14a7c8b5e0f2d4a6c9b71', templateName: '满意度调查', variables: [], status: 1 },
];

/** Caller numbers (外显号码) of the seeded company; the seed uses the first two. */
export const SEED_NUMBERS: readonly CallerNumber[] = [
  { number: '01052226451', numberType: 'landline', province: '北京', city: '北京', status: 1 },
  { number: '16512999105', numberType: 'mobile', province: '北京', city: '北京', status: 1 },
  { number: '02131587766', numberType: 'landline', province: '上海', city: '上海', status: 1 },
  { number: '075586120033', numberType: 'landline', province: '广东', city: '深圳', status: 1 },
];

/**
 * The seed's createTask example (shared/seed README, `$params`) without its times and pushUrl,
 * which each user (the demo, the tests) sets relative to its own clock and receiver.
 */
export const SEED_TASK = {
  taskName: '测试任务添加情况2',
  templateId: '0c565ba214064f82a7071b25030f78a7',
  robotNum: 2,
  taskCronList: [{ begin: '09:00', end: '20:00' }],
  taskRetryList: [{ retryNum: 1, retryTime: 60, retryCondition: 3 }],
  aniList: ['01052226451', '16512999105'],
  timeType: 2,
  pushFlag: 1,
  pushType: 2,
} as const;
