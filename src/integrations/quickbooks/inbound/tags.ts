import type { QboObject } from '../types.js';

/**
 * The push writes `ledgerbridge:<our id>` into the PrivateNote (Notes on customers) of everything it
 * creates. Finding it tells an object we pushed — whose link may not have committed yet — from one a
 * person made in QuickBooks.
 */
const TAG = /ledgerbridge:([a-z]{3}_[0-9a-z]+)/;

export function taggedLocalId(object: QboObject, prefix: 'inv' | 'pay' | 'con' | 'ref'): string | undefined {
  for (const field of ['PrivateNote', 'Notes']) {
    const value = object[field];
    if (typeof value !== 'string') continue;
    const id = TAG.exec(value)?.[1];
    if (id?.startsWith(`${prefix}_`)) return id;
  }
  return undefined;
}
