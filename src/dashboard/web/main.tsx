// The dashboard page: header (store, live state, language switch) and the screen the URL hash names.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { getMeta, subscribe, type Meta } from './api.js';
import { initialLang, saveLang, strings, type Lang } from './i18n.js';
import { Overview } from './Overview.js';
import { TaskView } from './TaskView.js';

/** `#/task/<id>` → the task id; anything else → the overview. */
function routeOf(hash: string): { taskId: string | null } {
  const m = /^#\/task\/(.+)$/.exec(hash);
  if (!m) return { taskId: null };
  try {
    return { taskId: decodeURIComponent(m[1]!) };
  } catch {
    return { taskId: null };
  }
}

function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const [route, setRoute] = useState(() => routeOf(location.hash));
  const [meta, setMeta] = useState<Meta | null>(null);
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(false);
  useEffect(() => {
    const on = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    void getMeta().then(setMeta, () => undefined);
    return subscribe((maxId) => {
      setLive(true);
      setVersion(maxId);
    });
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = strings(lang).title;
  }, [lang]);
  const t = strings(lang);
  const switchLang = () => {
    const next: Lang = lang === 'zh-CN' ? 'en' : 'zh-CN';
    saveLang(next);
    setLang(next);
  };
  return (
    <div class="page">
      <header>
        <h1><a href="#/">{t.title}</a></h1>
        <span class="muted">{meta ? `${t.store}: ${meta.location} (${meta.kind})` : ''}</span>
        <span class={live ? 'live on' : 'live'} data-testid="live">● {t.live}</span>
        <button type="button" data-testid="lang-switch" onClick={switchLang}>{t.language}</button>
      </header>
      {meta && !meta.rollups && <p class="warn">{t.noRollups}</p>}
      <main>
        {route.taskId === null
          ? <Overview lang={lang} timeZone={meta?.timeZone ?? 'Asia/Shanghai'} version={version} />
          : <TaskView key={route.taskId} lang={lang} taskId={route.taskId} version={version} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
