// Screen 1: every task in the store with its stored results, answered share and last result time.
import { useEffect, useState } from 'preact/hooks';
import { getOverview, type Overview as OverviewData } from './api.js';
import { formatter, strings, type Lang } from './i18n.js';

/** Props of the overview screen. */
export interface OverviewProps {
  lang: Lang;
  /** Zone of the times shown (the dashboard's default task zone). */
  timeZone: string;
  /** Changes whenever the store does: the screen reloads its figures. */
  version: number;
}

/** The task list. */
export function Overview({ lang, timeZone, version }: OverviewProps) {
  const [data, setData] = useState<OverviewData | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getOverview().then((d) => {
      setData(d);
      setError(null);
    }, (e: Error) => setError(e.message));
  }, [version]);
  const t = strings(lang);
  const f = formatter(lang, timeZone);
  if (error) return <p class="error">{t.error}: {error}</p>;
  if (!data) return <p class="muted">…</p>;
  if (data.tasks.length === 0) return <p class="muted">{t.noTasks}</p>;
  return (
    <section>
      <h2>{t.tasks}</h2>
      <table class="grid" data-testid="overview">
        <thead>
          <tr><th>{t.task}</th><th class="num">{t.results}</th><th class="num">{t.answered}</th><th class="num">{t.answeredShare}</th><th>{t.lastResult} ({timeZone})</th></tr>
        </thead>
        <tbody>
          {data.tasks.map((k) => (
            <tr key={k.taskId} data-task={k.taskId}>
              <td><a href={`#/task/${encodeURIComponent(k.taskId)}`}>{k.taskId}</a></td>
              <td class="num" data-field="results">{f.int(k.results)}</td>
              <td class="num" data-field="answered">{f.int(k.answered)}</td>
              <td class="num" data-field="share">{f.pct(k.answeredShare)}</td>
              <td>{f.time(k.lastReceivedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
