/**
 * The owner record of an API in the bus's results table: which service serves the API and may fire
 * its events. Key `owner#<api>`, kept forever (no `expiresAt`). The key kind `owner#` is reserved
 * next to `schema#` and `task#`.
 */
export { OWNER_KEY_PREFIX, ownerKey } from '../topology/table-keys';

/** Attribute names of an owner record (besides `pk`). */
export const OwnerAttributes = {
  Kind: 'kind',
  Api: 'api',
  Owner: 'owner',
  /** Who wrote the record: a worker's process name, or `deploy:<service>`. */
  ClaimedBy: 'claimedBy',
  /** Epoch milliseconds of the write. */
  ClaimedAt: 'claimedAt',
  /** Set when ownership was taken over explicitly: the service that owned the API before. */
  PreviousOwner: 'previousOwner',
} as const;

/** The value of `kind` on an owner record. */
export const OWNER_RECORD_KIND = 'owner';

/** The property of the deploy-time `Custom::LightbusSchemas` resource that moves ownership (present only when set). */
export const OWNERSHIP_PROPERTIES = { TakeOwnership: 'TakeOwnership' } as const;
