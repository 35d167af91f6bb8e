import { ZhichiError } from '../errors.js';

/** The file cannot be imported at all: missing, unreadable, wrong type, no phone or outId column. */
export class ImportFileError extends ZhichiError {
  override readonly name: string = 'ImportFileError';
}
