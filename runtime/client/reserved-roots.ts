import { RESERVED_API_ROOTS } from '../api/names';
import { InvalidDefinitionError } from '../errors';

/**
 * Every property name of a client: its own members (`register`, set by create()) and every member
 * of its prototype chain (BusClient's methods and getters, and Object's: `toString`, ...). Read
 * from the client itself, so a member added to BusClient is reserved without anyone listing it.
 * Call it before any API is attached: attached APIs become own members too.
 */
export function clientMemberNames(client: object): string[] {
  const names = new Set<string>();
  for (let level: object | null = client; level !== null; level = Object.getPrototypeOf(level) as object | null) {
    for (const name of Object.getOwnPropertyNames(level)) names.add(name);
  }
  return [...names];
}

/**
 * The first segments an API name cannot have on this client: `bus.<root>` must be free for the
 * API's object. The client's members, and the names {@link RESERVED_API_ROOTS} reserves for other
 * reasons (`default`, `then`, ...).
 */
export class ReservedApiRoots {
  private readonly names: ReadonlySet<string>;

  public constructor(client: object) {
    this.names = new Set([...clientMemberNames(client), ...RESERVED_API_ROOTS]);
  }

  public has(root: string): boolean {
    return this.names.has(root);
  }

  /** Throws, naming the API and what is reserved, if the API's first segment is a reserved root. */
  public assertFree(apiName: string): void {
    const root = apiName.split('.')[0] as string;
    if (!this.names.has(root)) return;
    // Names starting with "_" cannot be API names anyway (assertValidApiName): not worth listing.
    const listed = [...this.names].filter((name) => !name.startsWith('_')).sort();
    throw new InvalidDefinitionError(
      `The API name "${apiName}" cannot be used on the bus client: its first segment "${root}" is reserved, because ` +
        `bus.${root} is ${RESERVED_API_ROOTS.includes(root) ? 'reserved by lightbus' : 'a member of the bus client'}. ` +
        `An API name cannot start with any of: ${listed.join(', ')}.`,
      { api: apiName, reserved: root },
    );
  }
}
