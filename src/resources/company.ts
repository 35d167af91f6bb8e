import type { CallerNumber, Template } from '../contract/resources.js';
import type { ApiCore } from '../internal/core.js';

/** Robots available to the company (`GET robots/count`, api/sobot-v5.md §3.6). */
export class RobotsResource {
  constructor(private readonly core: ApiCore) {}
  /** Number of robots (concurrent AI seats) of the company. */
  async count(opts: { signal?: AbortSignal } = {}): Promise<number> {
    return (await this.core.call('robotsCount', { query: { companyId: this.core.companyId }, signal: opts.signal })).content;
  }
}

/** Caller-ID resources (`GET numbers`, §3.10). */
export class NumbersResource {
  constructor(private readonly core: ApiCore) {}
  /** Caller numbers usable in `aniList`. Sent without a query string, as the PHP module sends it. */
  async list(opts: { signal?: AbortSignal } = {}): Promise<CallerNumber[]> {
    return (await this.core.call('numbers', { signal: opts.signal })).content;
  }
}

/** Script templates (`GET templates`, §3.9). */
export class TemplatesResource {
  constructor(private readonly core: ApiCore) {}
  /** Templates usable as `templateId`. Sent without a query string, as the PHP module sends it. */
  async list(opts: { signal?: AbortSignal } = {}): Promise<Template[]> {
    return (await this.core.call('templates', { signal: opts.signal })).content;
  }
}
