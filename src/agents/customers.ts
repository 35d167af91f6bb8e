import { randomBytes } from 'node:crypto';
import { MAX_ASYNC_IMPORT, customerPerson, type CustomerPerson } from '../contract/agents/index.js';
import { ZhichiValidationError, issuesFromZod, type ValidationIssue } from '../errors.js';
import type { AgentsCore } from './core.js';

type Opts = { signal?: AbortSignal | undefined };

/** Result of {@link AgentsCustomers.importAsync}: one batch id per call made (results arrive by callback). */
export interface AsyncImportResult {
  robotCallJobId: number;
  /** Batch ids, in the order of the customers: batch `i` holds customers `i*10000 ...`. */
  batchIds: string[];
  customers: number;
}

/** A 32-hex batch id like the spec's example (§3.9). */
export function newBatchId(): string {
  return randomBytes(16).toString('hex');
}

/** Customer import (api/sobot-agents.md §3.9, §3.10). */
export class AgentsCustomers {
  constructor(private readonly core: AgentsCore, private readonly concurrency: number) {}

  /**
   * Imports customers asynchronously. Above 10,000 the list is split into calls of 10,000 sent in
   * parallel (`importConcurrency` at once), each with its own batch id (`batchId` + a 4-hex suffix
   * when given a base). Every customer is checked before any call, each error naming its index. A
   * call whose answer was lost is resent with the SAME batch id, so results stay attributable.
   */
  async importAsync(robotCallJobId: number, customers: readonly CustomerPerson[], opts: Opts & { batchId?: string } = {}): Promise<AsyncImportResult> {
    const issues: ValidationIssue[] = [];
    customers.forEach((c, i) => {
      const r = customerPerson.safeParse(c);
      if (!r.success) issues.push(...issuesFromZod(r.error.issues, `customerPersons[${i}]`));
    });
    if (customers.length === 0) issues.push({ path: 'customerPersons', message: 'must have at least one customer' });
    if (issues.length) throw new ZhichiValidationError('importCustomerAsync body', issues.slice(0, 50));
    const calls = Math.ceil(customers.length / MAX_ASYNC_IMPORT);
    const base = opts.batchId ?? newBatchId();
    const batchIds = Array.from({ length: calls }, (_, i) => (calls === 1 ? base : `${base.slice(0, 28)}${i.toString(16).padStart(4, '0')}`));
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < calls; i = next++) {
        const part = customers.slice(i * MAX_ASYNC_IMPORT, (i + 1) * MAX_ASYNC_IMPORT);
        await this.core.call('importCustomerAsync', { robotCallJobId, batchId: batchIds[i]!, customerPersons: part }, opts);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, calls) }, worker));
    return { robotCallJobId, batchIds, customers: customers.length };
  }

  /** Imports up to 100 customers synchronously (§3.10, Yiwise only); not resent after an unknown outcome. */
  async importSync(robotCallJobId: number, customers: CustomerPerson[], opts: Opts = {}): Promise<void> {
    await this.core.call('importCustomer', { robotCallJobId, customerPersons: customers }, opts);
  }
}
