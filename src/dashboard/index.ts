// Public surface of the campaign dashboard: the `zhichi-outbound/dashboard` entry point (named exports only).
export {
  createDashboard, serveDashboard, isLoopbackHost, CSV_COLUMNS,
  type Dashboard, type DashboardOptions, type ServeDashboardOptions, type RunningDashboard, type TaskApiInfo,
} from './handler.js';
export {
  ReadModel, openReadModel, maskPhone, outcomeName, TALK_EDGES, MAX_PAGE, DEFAULT_TIME_ZONE,
  type ReadModelOptions, type Overview, type TaskSummary, type TaskStats, type TaskProgress, type OutcomeCount,
  type IntentCount, type HourCount, type TalkBucket, type ResultFilter, type ResultRow, type ResultPage, type ResultPageOptions,
} from '../push/read-model.js';
export { taskInfoFromClient, type TaskLookup } from './api-info.js';
