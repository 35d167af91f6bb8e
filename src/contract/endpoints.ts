import type { z } from 'zod';
import { tokenContent } from './token.js';
import { createTaskContent, createTaskParams, searchTasksParams, taskInfo } from './task.js';
import { addContactsBody, addContactsContent, contactDetail } from './contact.js';
import { callRecord, dialingResultsParams } from './results.js';
import { numbersContent, robotsCountContent, templatesContent } from './resources.js';
import { outIdProblem, page, pathSegmentProblem } from './common.js';
import { ZhichiValidationError, type ValidationIssue } from '../errors.js';

/**
 * The V5 endpoint table (api/sobot-v5.md §2), shared by the client (to build requests) and the
 * emulator (to route them). Paths are relative to the base URL; `{x}` are path parameters.
 * `known` says whether the response shape is known from a source ([D]/[C]) or assumed.
 */
export const ENDPOINTS = {
  token: { method: 'GET', path: 'tokens', content: tokenContent, known: true },
  createTask: { method: 'POST', path: 'companies/{companyId}/tasks', request: createTaskParams, content: createTaskContent, known: false },
  addContacts: { method: 'POST', path: 'companies/{companyId}/tasks/{taskId}/task-contacts', request: addContactsBody, content: addContactsContent, known: false },
  getContact: { method: 'GET', path: 'companies/{companyId}/tasks/{taskId}/reference-task-contacts/{outId}', content: contactDetail, known: false },
  dialingResults: { method: 'POST', path: 'companies/{companyId}/tasks/{taskId}/dialing-results', request: dialingResultsParams, content: page(callRecord), known: false },
  robotsCount: { method: 'GET', path: 'companies/{companyId}/robots/count', content: robotsCountContent, known: true },
  getTask: { method: 'GET', path: 'companies/{companyId}/tasks/{taskId}', content: taskInfo, known: false },
  searchTasks: { method: 'GET', path: 'companies/{companyId}/searchtasks', request: searchTasksParams, content: page(taskInfo), known: false },
  templates: { method: 'GET', path: 'companies/{companyId}/templates', content: templatesContent, known: false },
  numbers: { method: 'GET', path: 'companies/{companyId}/numbers', content: numbersContent, known: false },
} as const satisfies Record<string, { method: 'GET' | 'POST'; path: string; content: z.ZodType; known: boolean; request?: z.ZodType }>;

export type EndpointName = keyof typeof ENDPOINTS;

/**
 * Fills `{name}` segments of a path template, URL-encoding each value. Every value is checked
 * first, before anything is sent: `outId` against the URL-safe set (OUT_ID_SAFE), every other id
 * (companyId, taskId) for a dot segment (`.`, `..`) or emptiness, which would change the path.
 * Throws ZhichiValidationError naming each bad parameter and its rule.
 */
export function fillPath(template: string, params: Record<string, string>): string {
  const issues: ValidationIssue[] = [];
  const out = template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) {
      issues.push({ path: k, message: 'is required (a path parameter)' });
      return '';
    }
    const problem = typeof v !== 'string' ? 'must be a string' : k === 'outId' ? outIdProblem(v) : pathSegmentProblem(v);
    if (problem !== null) issues.push({ path: k, message: problem });
    return encodeURIComponent(v);
  });
  if (issues.length) throw new ZhichiValidationError('path parameters', issues, { path: template });
  return out;
}
