/**
 * The Agents tenant's seeded resources (ASSUMED values in the documented shapes, api/sobot-agents.md
 * §5, §6, §8.7): scripts, caller lines, a call-policy group, a risk strategy, a blacklist group,
 * the built-in intent tag group.
 */
export const AGENTS_TENANT = { tenantId: 96537, tenantName: '演示租户' } as const;

/** Scripts (dialogFlows) with the variables their import `properties` need. */
export const AGENTS_SCRIPTS = [
  { dialogFlowId: 11, name: '续费提醒 Agent', intentLevelTagId: 1, status: 'APPROVED', audioType: 'COMPOSE', ttsVoice: 'xiaoyun', ttsVoiceName: '小云', variables: [] as string[] },
  { dialogFlowId: 12, name: '账单到期提醒 Agent', intentLevelTagId: 1, status: 'APPROVED', audioType: 'MIXTURE', ttsVoice: 'xiaogang', ttsVoiceName: '小刚', variables: ['欠款金额', '最后还款日期'] },
  { dialogFlowId: 13, name: '满意度回访 Agent (草稿)', intentLevelTagId: 1, status: 'DRAFT', audioType: 'MAN_MADE', ttsVoice: null, ttsVoiceName: null, variables: [] as string[] },
] as const;

/** Caller lines: `tenantPhoneNumberId` goes in `jobPhoneNumberIdList`. */
export const AGENTS_LINES = [
  { tenantPhoneNumberId: 501, phoneNumber: '02861000001', phoneName: '成都固话线路', phoneType: 'LANDLINE', province: '四川', city: '成都' },
  { tenantPhoneNumberId: 502, phoneNumber: '01052226451', phoneName: '北京固话线路', phoneType: 'LANDLINE', province: '北京', city: '北京' },
  { tenantPhoneNumberId: 503, phoneNumber: '16512999105', phoneName: '手机线路', phoneType: 'MOBILE', province: '北京', city: '北京' },
] as const;

/** Call-policy groups. */
export const AGENTS_POLICY_GROUPS = [{ callPolicyGroupId: 601, tenantId: AGENTS_TENANT.tenantId, name: '默认外呼策略组' }] as const;

/** Risk-control strategies. */
export const AGENTS_RISK_STRATEGIES = [{ riskControlStrategyId: 701, strategyName: '默认风控', customerBlackGroupSwitch: true, customerBlackGroupIds: [801] }] as const;

/** Blacklist groups and the numbers of the built-in one (a customer on it is filtered: FILER_TASK). */
export const AGENTS_BLACK_GROUPS = [{ customerWhiteGroupId: 801, name: '账号黑名单', tenantId: AGENTS_TENANT.tenantId, expiry: '0', type: 'INNER_MENU', description: '内置' }] as const;
/** Numbers on the built-in blacklist. */
export const AGENTS_BLACKLIST: ReadonlySet<string> = new Set(['13900000000', '13900000001']);
