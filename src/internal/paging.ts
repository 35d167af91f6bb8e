import type { Page } from '../contract/common.js';

/**
 * Iterates every item of a paged list: asks page 1, 2, ... until a short or empty page, or until
 * `total` items were seen.
 */
export async function* iteratePages<T>(fetchPage: (pageNum: number, pageSize: number) => Promise<Page<T>>, pageSize: number, firstPage = 1): AsyncGenerator<T> {
  let seen = 0;
  for (let pageNum = firstPage; ; pageNum++) {
    const page = await fetchPage(pageNum, pageSize);
    const list = Array.isArray(page.list) ? page.list : [];
    for (const item of list) yield item;
    seen += list.length;
    if (list.length === 0 || list.length < pageSize) return;
    if (typeof page.total === 'number' && seen >= page.total) return;
  }
}
