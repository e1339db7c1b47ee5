import { QrpcError } from '../protocol/errors.js';
import { describeValue } from '../protocol/frame.js';

/** Ids are a list (array, Set, any iterable) of strings: a lone string would be walked letter by letter. */
export function idList(ids: unknown): Iterable<string> {
  if (typeof ids === 'string' || ids === null || typeof ids !== 'object' || typeof (ids as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw new QrpcError('ERR_INVALID_ARG', `ids must be an array (or other iterable) of id strings, got ${describeValue(ids)}`);
  }
  return ids as Iterable<string>;
}
