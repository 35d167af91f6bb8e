import type { z } from 'zod';
import { tokenContent } from './token.js';
import { createTaskContent, createTaskParams, searchTasksParams, taskInfo } from './task.js';
import { addContactsBody, addContactsContent, contactDetail } from './contact.js';
import { callRecord, dialingResultsParams } from './results.js';
import { numbersContent, robotsCountContent, templatesContent } from './resources.js';
import { page } from './common.js';

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

/** Fills `{name}` segments of a path template, URL-encoding each value. */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`missing path parameter ${k}`);
    return encodeURIComponent(v);
  });
}
