// Public surface of the relay: the `zhichi-outbound/relay` entry point (named exports only). Broker
// clients (nats, bullmq, amqplib) and store drivers load only when a relay connects.
export { Relay, createRelay, readRelayStatus, toMessage, type RelayOptions, type RelayMetrics, type RelayRunReport } from './relay.js';
export {
  PublishError, PUBLISHER_DEFAULTS, brokerOf, jobIdOf, messageIdOf, taskToken,
  type OutMessage, type Publisher, type PublisherOptions,
} from './publisher.js';
export { RelayLeaseLostError, type RelayPosition, type RelayStatus, type RelayCursorRow } from './source.js';
export { NATS_DUPLICATE_WINDOW_MS } from './nats.js';
