// The task's results: filters, keyset paging (newest first), CSV export of what the filters select.
import { useEffect, useState } from 'preact/hooks';
import { csvUrl, getResults, type Filters, type ResultPage } from './api.js';
import { formatter, outcomeLabel, strings, type Lang } from './i18n.js';

/** Props of the results table. */
export interface ResultsTableProps {
  lang: Lang;
  taskId: string;
  timeZone: string;
  version: number;
  /** Outcome codes present in the task (filter choices). */
  outcomes: number[];
  /** Intent labels present in the task (filter choices). */
  intents: string[];
}

const OUTCOME_NAMES = ['ANSWERED', 'NO_ANSWER', 'BUSY', 'POWER_OFF', 'OUT_OF_SERVICE', 'REFUSED', 'VACANT_NUMBER', 'CAN_NOT_CONNECT', '', 'SYSTEM_ERROR'];
const nameOf = (code: number) => OUTCOME_NAMES[code] || `UNKNOWN_${code}`;

/** Filterable, pageable results of one task. */
export function ResultsTable(p: ResultsTableProps) {
  const [filters, setFilters] = useState<Filters>({ callResult: '', intent: '', outId: '', phones: false });
  // Cursors of the pages before the current one; empty on the newest page (which follows the live store).
  const [cursors, setCursors] = useState<number[]>([]);
  const [page, setPage] = useState<ResultPage | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const before = cursors[cursors.length - 1];
  useEffect(() => {
    getResults(p.taskId, filters, before).then((r) => {
      setPage(r);
      if (r.total !== null) setTotal(r.total);
    }, () => setPage({ rows: [], next: null, total: 0, timeZone: p.timeZone }));
    // The newest page reloads as results arrive; an older page stays as it is.
  }, [p.taskId, filters, before, before === undefined ? p.version : 0]);
  const t = strings(p.lang);
  const f = formatter(p.lang, p.timeZone);
  const set = (patch: Partial<Filters>) => {
    setCursors([]);
    setPage(null);
    setFilters({ ...filters, ...patch });
  };
  return (
    <section class="results">
      <h3>{t.results}</h3>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>{t.outcome}{' '}
          <select data-testid="filter-outcome" value={filters.callResult} onChange={(e) => set({ callResult: e.currentTarget.value })}>
            <option value="">{t.all}</option>
            {p.outcomes.map((c) => <option key={c} value={String(c)}>{outcomeLabel(p.lang, nameOf(c))}</option>)}
          </select>
        </label>
        <label>{t.intent}{' '}
          <select data-testid="filter-intent" value={filters.intent} onChange={(e) => set({ intent: e.currentTarget.value })}>
            <option value="">{t.all}</option>
            {p.intents.map((i) => <option key={i} value={i}>{i}</option>)}
          </select>
        </label>
        <label>{t.outId}{' '}
          <input data-testid="filter-outid" value={filters.outId} onChange={(e) => set({ outId: e.currentTarget.value })} />
        </label>
        <label><input type="checkbox" data-testid="show-phones" checked={filters.phones} onChange={(e) => set({ phones: e.currentTarget.checked })} /> {t.showPhones}</label>
        <a class="button" data-testid="export-csv" href={csvUrl(p.taskId, filters)} download>{t.exportCsv}</a>
      </form>
      <table class="grid" data-testid="results">
        <thead>
          <tr><th>{t.outId}</th><th>{t.phone}</th><th>{t.outcome}</th><th>{t.intent}</th><th class="num">{t.talkTime}</th><th class="num">{t.attempt}</th><th>{t.time}</th></tr>
        </thead>
        <tbody>
          {(page?.rows ?? []).map((r) => (
            <tr key={r.id} data-id={r.id}>
              <td data-field="outId">{r.outId ?? '–'}</td>
              <td data-field="phone">{r.phone ?? '–'}</td>
              <td>{outcomeLabel(p.lang, r.outcome)}</td>
              <td>{r.intent ?? '–'}</td>
              <td class="num">{f.seconds(r.talkDuration)}</td>
              <td class="num">{r.attempt === null ? '–' : f.int(r.attempt)}</td>
              <td>{f.time(r.startTime ?? r.receivedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="pager">
        <span data-testid="results-count">{t.shown(f.int(page?.rows.length ?? 0), f.int(total ?? 0))}</span>{' '}
        {cursors.length > 0 && <button type="button" onClick={() => { setPage(null); setCursors([]); }}>{t.first}</button>}{' '}
        {page?.next != null && <button type="button" data-testid="next-page" onClick={() => { const n = page.next!; setPage(null); setCursors([...cursors, n]); }}>{t.next}</button>}
      </p>
    </section>
  );
}
