import { LightbusError } from '../errors';

/** A service tried to serve an API that another service owns. */
export class ApiOwnershipError extends LightbusError {
  public readonly api: string;
  public readonly owner: string;
  public readonly claimant: string;

  public constructor(api: string, owner: string, claimant: string) {
    super(
      'API_OWNED_BY_ANOTHER_SERVICE',
      `API "${api}" is owned by service "${owner}"; service "${claimant}" may not serve it too (two implementations would split its calls). ` +
        `To move the API to "${claimant}" on purpose (a migration), start it with --take-ownership (CDK: takeOwnership: true); ` +
        `then stop "${owner}" from serving it.`,
      { api, owner, claimant },
    );
    this.api = api;
    this.owner = owner;
    this.claimant = claimant;
  }
}
