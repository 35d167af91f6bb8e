// Public surface of the push receiver: the `zhichi-outbound/receiver` entry point (named exports only).
export {
  PushReceiver, createPushReceiver,
  type PushReceiverOptions, type PushRequest, type PushResponse, type AckOptions, type ReceiverStats, type HeaderSource, type RefusedPush,
} from './receiver.js';
export { type ResultEvent, type ResultHandler } from './events.js';
export { type ExtractedFields, extractFields, eventKey, parseTime } from './extract.js';
export {
  openEventStore, resolveStoreLocation, isPostgresLocation, DEFAULT_DB_FILE,
  type EventStore, type StoredEvent, type NewEvent, type EventQuery, type EventSource, type DeliveryStatus, type OpenStoreOptions,
  type InsertResult, type DeliveryUpdate, type EventIdentity,
} from './store.js';
export {
  reconcileAgents, parseAgentsCallback, agentsRecordFields, AGENTS_KEY_PREFIX,
  type AgentsReconcileOptions, type AgentsReconcileReport, type AgentsReconcileSource,
} from './agents.js';
export { reconcile, type ReconcileSource, type ReconcileOptions, type ReconcileReport, type AttemptMismatch, type ResultsQuery } from './reconcile.js';
export { DEFAULT_MAX_BODY_BYTES, type BodyInput, type BodyReader, type BodyReadResult } from './body.js';
export { MIN_SECRET_LENGTH } from './auth.js';
export { type DeliveryOptions, type DeliveryCounts, type ReplayOptions } from './dispatcher.js';
export { forwardTo, type ForwardOptions } from './forward.js';
export { type GroupCommitOptions } from './group-commit.js';
export { nodeHandler } from './adapters/node.js';
export { createPushServer, resolvePushServerLimits, PUSH_SERVER_DEFAULTS, type PushServer, type PushServerLimits } from './server.js';
export { MAX_PUSH_DEPTH, MAX_STORED_DEPTH, parseStoredBody, jsonDepth, type StoredBody } from './json-depth.js';
export { expressMiddleware } from './adapters/express.js';
export { fastifyPlugin, type FastifyPluginOptions } from './adapters/fastify.js';
export { koaMiddleware, type KoaMiddlewareOptions } from './adapters/koa.js';
export { fetchHandler, type FetchRequestInfo } from './adapters/fetch.js';
