export { OWNERSHIP_PROPERTIES, OWNER_KEY_PREFIX, OWNER_RECORD_KIND, OwnerAttributes, ownerKey } from './keys';
export { ApiOwnershipError } from './errors';
export { claimApiOwnership, claimOwnershipAtDeploy } from './claim';
export type { OwnershipClaim, OwnershipOutcome } from './claim';
