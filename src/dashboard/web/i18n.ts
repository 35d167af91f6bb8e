// The page's two languages and the locale-aware formatting of numbers and times.

/** Languages of the page. */
export type Lang = 'zh-CN' | 'en';

const en = {
  title: 'Campaign dashboard',
  overview: 'Overview',
  tasks: 'Tasks',
  task: 'Task',
  results: 'Results',
  answered: 'Answered',
  answeredShare: 'Answered share',
  lastResult: 'Last result',
  noTasks: 'No results stored yet.',
  back: '← All tasks',
  progress: 'Progress',
  contacts: 'Contacts',
  called: 'Contacts called',
  contactsAnswered: 'Contacts answered',
  calls: 'Calls',
  redials: 'Redials',
  redialsPending: 'Redials pending',
  outcomes: 'Outcomes',
  intents: 'Intent levels (answered calls)',
  hours: 'Answered rate by hour',
  talk: 'Talk time (answered calls)',
  seconds: 's',
  rate: 'Answered rate',
  outcome: 'Outcome',
  intent: 'Intent',
  outId: 'outId',
  phone: 'Phone',
  talkTime: 'Talk time',
  attempt: 'Attempt',
  time: 'Time',
  all: 'All',
  none: '(none)',
  showPhones: 'Show full phone numbers',
  exportCsv: 'Export CSV',
  next: 'Older →',
  first: '↩ Newest',
  shown: (n: string, total: string) => `${n} of ${total}`,
  zone: 'Time zone',
  live: 'Live',
  store: 'Store',
  noRollups: 'This store has no dashboard rollups yet (schema below 3): the figures are right but slower. Open it once with the receiver to add them.',
  count: 'Count',
  share: 'Share',
  hour: 'Hour',
  language: '中文',
  error: 'Could not load',
} as const;

type Strings = { [K in keyof typeof en]: (typeof en)[K] extends (...a: infer A) => string ? (...a: A) => string : string };

const zh: Strings = {
  title: '外呼任务看板',
  overview: '总览',
  tasks: '任务',
  task: '任务',
  results: '结果',
  answered: '接通',
  answeredShare: '接通率',
  lastResult: '最近结果',
  noTasks: '还没有存储任何结果。',
  back: '← 全部任务',
  progress: '进度',
  contacts: '联系人',
  called: '已呼联系人',
  contactsAnswered: '已接通联系人',
  calls: '呼叫次数',
  redials: '重呼',
  redialsPending: '待重呼',
  outcomes: '呼叫结果',
  intents: '意向等级（已接通）',
  hours: '各时段接通率',
  talk: '通话时长（已接通）',
  seconds: '秒',
  rate: '接通率',
  outcome: '结果',
  intent: '意向',
  outId: 'outId',
  phone: '号码',
  talkTime: '通话时长',
  attempt: '第几次',
  time: '时间',
  all: '全部',
  none: '（无）',
  showPhones: '显示完整号码',
  exportCsv: '导出 CSV',
  next: '更早 →',
  first: '↩ 最新',
  shown: (n, total) => `${n} / 共 ${total}`,
  zone: '时区',
  live: '实时',
  store: '数据库',
  noRollups: '该数据库还没有看板汇总表（版本低于 3）：数字正确但较慢。用接收器打开一次即可添加。',
  count: '数量',
  share: '占比',
  hour: '时',
  language: 'English',
  error: '加载失败',
};

const OUTCOMES: Record<Lang, Record<string, string>> = {
  en: {
    ANSWERED: 'Answered', NO_ANSWER: 'No answer', BUSY: 'Busy', POWER_OFF: 'Powered off', OUT_OF_SERVICE: 'Out of service',
    REFUSED: 'Refused', VACANT_NUMBER: 'Vacant number', CAN_NOT_CONNECT: 'Cannot connect', SYSTEM_ERROR: 'System error', NONE: 'No result code',
  },
  'zh-CN': {
    ANSWERED: '已接通', NO_ANSWER: '无人接听', BUSY: '忙线', POWER_OFF: '关机', OUT_OF_SERVICE: '停机',
    REFUSED: '拒接', VACANT_NUMBER: '空号', CAN_NOT_CONNECT: '无法接通', SYSTEM_ERROR: '系统错误', NONE: '无结果码',
  },
};

/** Texts of a language. */
export function strings(lang: Lang): Strings {
  return lang === 'zh-CN' ? zh : (en as unknown as Strings);
}

/** Display name of an outcome code name (`UNKNOWN_42` shows as "UNKNOWN_42"). */
export function outcomeLabel(lang: Lang, name: string): string {
  return OUTCOMES[lang][name] ?? name;
}

const LANG_KEY = 'zhichi.dashboard.lang';

/** The saved choice, else the browser's language: Chinese for any zh-*, English otherwise. */
export function initialLang(): Lang {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved === 'zh-CN' || saved === 'en') return saved;
  return (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** Remembers the language switch. */
export function saveLang(lang: Lang): void {
  localStorage.setItem(LANG_KEY, lang);
}

/** Formatters of one language and time zone. */
export interface Format {
  int(n: number): string;
  pct(share: number): string;
  /** Date and time in the zone. */
  time(ms: number | null): string;
  seconds(s: number | null): string;
}

/** Formatting in the language's locale; times in `timeZone` (the task's). */
export function formatter(lang: Lang, timeZone: string): Format {
  const int = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const pct = new Intl.NumberFormat(lang, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const dt = new Intl.DateTimeFormat(lang, { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const sec = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  return {
    int: (n) => int.format(n),
    pct: (s) => pct.format(s),
    time: (ms) => (ms === null ? '–' : dt.format(ms)),
    seconds: (s) => (s === null ? '–' : `${sec.format(s)} ${lang === 'zh-CN' ? '秒' : 's'}`),
  };
}
