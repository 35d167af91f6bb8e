import { z } from 'zod';
import { agentsPage } from './envelope.js';
import { phoneType } from './enums.js';
import { DATETIME, longId } from './job.js';

/** Scripts, lines, policy groups, risk strategies, blacklist groups, intent tags, tenant, callback URL (§5, §6). */

/** Query of `GET dialogFlow/getV3BotList` (§5.1). */
export const botListQuery = z.looseObject({
  startUpdateTime: z.string().regex(DATETIME, 'must be yyyy-MM-dd HH:mm:ss').optional(),
  endUpdateTime: z.string().regex(DATETIME, 'must be yyyy-MM-dd HH:mm:ss').optional(),
});
/** A script (Agent). */
export const bot = z.looseObject({
  dialogFlowId: longId, name: z.string(), intentLevelTagId: z.number().nullish(), status: z.string().nullish(),
  audioType: z.string().nullish(), ttsVoice: z.string().nullish(), ttsVoiceName: z.string().nullish(),
  createTime: z.string().nullish(), updateTime: z.string().nullish(),
});
/** A script. */
export type Bot = z.infer<typeof bot>;
/** `data` of getV3BotList. */
export const botListData = z.array(bot);
/** Query of `GET /apiOpenNew/v1/bot/getBotInfoById` (§5.2). */
export const botInfoQuery = z.looseObject({ botId: longId });

/** A caller line (§5.4). */
export const phoneLine = z.looseObject({ tenantPhoneNumberId: longId, phoneNumber: z.string().nullish(), phoneName: z.string().nullish(), phoneType: phoneType.nullish() });
/** A caller line. */
export type PhoneLine = z.infer<typeof phoneLine>;
/** `data` of getPhoneList. */
export const phoneListData = z.array(phoneLine);
/** `data` of policyGroup/getIdAndNamePairList. */
export const policyGroupsData = z.array(z.looseObject({ callPolicyGroupId: longId, tenantId: z.number().nullish(), name: z.string().nullish() }));

/** Body of `POST rcs/list` (§6). */
export const rcsListBody = z.looseObject({ name: z.string().optional(), pageNum: z.number().int().positive().optional(), pageSize: z.number().int().positive().max(100, 'must be at most 100').optional() });
/** `data` of rcs/list. */
export const rcsListData = agentsPage(z.looseObject({ riskControlStrategyId: longId, strategyName: z.string().nullish() }));
/** Query of the blacklist-group list (§6). */
export const blackGroupsQuery = z.looseObject({ name: z.string().optional(), pageNum: z.number().int().positive().optional(), pageSize: z.number().int().positive().max(100, 'must be at most 100').optional() });
/** `data` of selectCustomerWhiteGroupPageList. */
export const blackGroupsData = agentsPage(z.looseObject({ customerWhiteGroupId: longId, name: z.string().nullish(), type: z.string().nullish() }));

/** `data` of tenant/getTenant (§5.5). */
export const tenantData = z.looseObject({ tenantId: longId, tenantName: z.string().nullish() });
/** Body of `POST isv/updateIsvInfo` (§5.5). */
export const updateIsvBody = z.looseObject({
  tenantSign: z.string({ error: 'is required' }).min(1, 'must be a non-empty string'),
  callbackUrl: z.url({ error: 'must be an absolute http(s) URL', protocol: /^https?$/ }).optional(),
  smsCallbackUrl: z.url({ error: 'must be an absolute http(s) URL', protocol: /^https?$/ }).optional(),
});

/** `data` of intentLevelTag/getUsedIntentLevelTagList (§8.7). */
export const intentTagGroupsData = z.array(z.looseObject({ intentLevelTagId: longId, name: z.string().nullish() }));
/** Query of intentLevelTag/getIntentLevelTag. */
export const intentTagQuery = z.looseObject({ intentLevelTagId: longId });
/** `data` of intentLevelTag/getIntentLevelTag: codes and names of one group. */
export const intentTagData = z.looseObject({ intentLevelTagId: longId, details: z.array(z.looseObject({ code: z.number(), name: z.string() })).nullish() });
