// Screen 2: one task: progress, outcomes, intent levels, answered rate by hour, talk time, and its results.
import { useEffect, useState } from 'preact/hooks';
import { getTaskStats, type TaskStats } from './api.js';
import { BarChart } from './Chart.js';
import { formatter, outcomeLabel, strings, type Format, type Lang } from './i18n.js';
import { ResultsTable } from './ResultsTable.js';

/** Props of the task screen. */
export interface TaskViewProps {
  lang: Lang;
  taskId: string;
  version: number;
}

function Stat({ label, value, field }: { label: string; value: string; field: string }) {
  return (
    <div class="stat" data-field={field}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

/** A small table beside a chart: the exact figures the chart draws. */
function Figures({ rows, f, testid, head }: { rows: Array<{ key: string; label: string; count: number }>; f: Format; testid: string; head: [string, string, string] }) {
  const total = rows.reduce((s, r) => s + r.count, 0);
  return (
    <table class="figures" data-testid={testid}>
      <thead><tr><th>{head[0]}</th><th class="num">{head[1]}</th><th class="num">{head[2]}</th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} data-key={r.key}>
            <td>{r.label}</td>
            <td class="num" data-field="count">{f.int(r.count)}</td>
            <td class="num">{f.pct(total ? r.count / total : 0)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The task view. */
export function TaskView({ lang, taskId, version }: TaskViewProps) {
  const [s, setS] = useState<TaskStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getTaskStats(taskId).then((d) => {
      setS(d);
      setError(null);
    }, (e: Error) => setError(e.message));
  }, [taskId, version]);
  const t = strings(lang);
  if (error) return <p class="error">{t.error}: {error}</p>;
  if (!s) return <p class="muted">…</p>;
  const f = formatter(lang, s.timeZone);
  const p = s.progress;
  const outcomes = s.outcomes.map((o) => ({ key: o.name, label: outcomeLabel(lang, o.name), count: o.count }));
  const intents = s.intents.map((i) => ({ key: i.intent ?? '', label: i.intent ?? t.none, count: i.count }));
  const talk = s.talk.map((b) => ({ key: String(b.from), label: b.to === null ? `≥ ${b.from} ${t.seconds}` : `${b.from}–${b.to} ${t.seconds}`, count: b.count }));
  const hourLabels = s.hours.map((h) => String(h.hour).padStart(2, '0'));
  return (
    <section>
      <p><a href="#/">{t.back}</a></p>
      <h2>
        {t.task} <span data-testid="task-id">{s.taskId}</span>
        {s.name !== null && <span class="muted"> · {s.name}</span>}
      </h2>
      <p class="muted">{t.zone}: {s.timeZone} · {t.lastResult}: {f.time(p.lastReceivedAt)}</p>
      <div class="stats" data-testid="progress">
        {p.contacts !== null && <Stat field="contacts" label={t.contacts} value={f.int(p.contacts)} />}
        <Stat field="called" label={t.called} value={f.int(p.contactsCalled)} />
        <Stat field="contactsAnswered" label={t.contactsAnswered} value={f.int(p.contactsAnswered)} />
        <Stat field="calls" label={t.calls} value={f.int(p.results)} />
        <Stat field="answered" label={t.answered} value={f.int(p.answeredResults)} />
        <Stat field="rate" label={t.answeredShare} value={f.pct(p.results ? p.answeredResults / p.results : 0)} />
        <Stat field="redials" label={t.redials} value={f.int(p.redials)} />
        {p.redialsPending !== null && <Stat field="redialsPending" label={t.redialsPending} value={f.int(p.redialsPending)} />}
      </div>
      <div class="panels">
        <div class="panel">
          <h3>{t.outcomes}</h3>
          <BarChart title={t.outcomes} name={t.calls} labels={outcomes.map((o) => o.label)} values={outcomes.map((o) => o.count)} />
          <Figures testid="outcomes" rows={outcomes} f={f} head={[t.outcome, t.count, t.share]} />
        </div>
        <div class="panel">
          <h3>{t.intents}</h3>
          <BarChart title={t.intents} name={t.answered} labels={intents.map((i) => i.label)} values={intents.map((i) => i.count)} />
          <Figures testid="intents" rows={intents} f={f} head={[t.intent, t.count, t.share]} />
        </div>
        <div class="panel wide">
          <h3>{t.hours} ({s.timeZone})</h3>
          <BarChart title={t.hours} name={t.calls} labels={hourLabels} values={s.hours.map((h) => h.calls)} line={{ name: t.rate, values: s.hours.map((h) => h.rate) }} />
          <table class="figures hours" data-testid="hours">
            <thead><tr><th>{t.hour}</th>{s.hours.filter((h) => h.calls > 0).map((h) => <th key={h.hour} class="num">{hourLabels[h.hour]}</th>)}</tr></thead>
            <tbody>
              <tr><td>{t.calls}</td>{s.hours.filter((h) => h.calls > 0).map((h) => <td key={h.hour} class="num">{f.int(h.calls)}</td>)}</tr>
              <tr><td>{t.rate}</td>{s.hours.filter((h) => h.calls > 0).map((h) => <td key={h.hour} class="num">{f.pct(h.rate)}</td>)}</tr>
            </tbody>
          </table>
        </div>
        <div class="panel wide">
          <h3>{t.talk}</h3>
          <BarChart title={t.talk} name={t.answered} labels={talk.map((b) => b.label)} values={talk.map((b) => b.count)} />
        </div>
      </div>
      <ResultsTable lang={lang} taskId={s.taskId} timeZone={s.timeZone} version={version} outcomes={s.outcomes.map((o) => o.callResult).filter((c): c is number => c !== null)} intents={s.intents.map((i) => i.intent).filter((i): i is string => i !== null)} />
    </section>
  );
}
