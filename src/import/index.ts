// The streaming contact import: used by `zhichi contacts import`, the demo and bench/contact-import.
export {
  importContacts, ImportFailedError, defaultCheckpointPath,
  type ContactSink, type ImportOptions, type ImportProgress, type ImportSummary,
} from './pipeline.js';
export { ImportFileError } from './errors.js';
export { resolveMapping, mapRow, PHONE_COLUMNS, OUT_ID_COLUMNS, type ColumnMapping, type MappedRow } from './mapping.js';
export { openRows, detectFormat, type ImportFormat, type RowSource, type SourceRow, type SourceOptions } from './sources.js';
export { readCheckpoint, type Checkpoint } from './checkpoint.js';
export { REJECTS_HEADER, type RejectedRow } from './rejects.js';
export { FingerprintSet } from './fingerprints.js';
