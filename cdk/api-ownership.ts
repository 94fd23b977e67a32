import { Stage } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ConstructValidationError } from '../runtime/errors/deployment';

/** Marks a LightbusService with the APIs it registers (owns), so a second owner in the app is found at synth time. */
const OWNED_APIS = Symbol.for('lightbus-aws.ownedApis');

interface OwnedApis {
  readonly busName: string;
  readonly service: string;
  readonly apis: readonly string[];
}

/**
 * Records that `construct` (service `service`) owns `apis` on `busName`, after checking that no
 * other construct of the same app (stage) on that bus registers any of them: one API, one owning
 * service. Two would share one request queue (same name) and split its calls between two
 * implementations. Throws naming both services and constructs. (The same service twice is not an
 * ownership question: CloudFormation refuses its twice-named queues if both reach one account.)
 */
export function claimApisInStage(construct: IConstruct, busName: string, service: string, apis: readonly string[]): void {
  if (apis.length === 0) return;
  const root = stageRootOf(construct);
  for (const other of root.node.findAll()) {
    const mark = (other as unknown as { [OWNED_APIS]?: OwnedApis })[OWNED_APIS];
    if (other === construct || mark === undefined || mark.busName !== busName || mark.service === service || stageRootOf(other) !== root) continue;
    const shared = apis.filter((api) => mark.apis.includes(api));
    if (shared.length === 0) continue;
    throw new ConstructValidationError(
      construct.node.path,
      `API ${shared.map((a) => `"${a}"`).join(', ')} on bus "${busName}" is already registered by service "${mark.service}" (${other.node.path}); ` +
        `service "${service}" may not register it too: an API has one owning service, and two would share one request queue. ` +
        'Remove the API from one of the bus modules (or move it in two deployments: see docs/operations.md, "Moving an API").',
      { api: shared[0], owner: mark.service, claimant: service },
    );
  }
  Object.defineProperty(construct, OWNED_APIS, { value: { busName, service, apis: [...apis] } satisfies OwnedApis, enumerable: false });
}

function stageRootOf(construct: IConstruct): IConstruct {
  return Stage.of(construct) ?? construct.node.root;
}
