import { rollingRestart } from './rolling-restart';
import type { Scenario } from './scenario';

export type { Scenario } from './scenario';

/** Every scenario of the fault suite, in the order the table shows them. */
export const SCENARIOS: readonly Scenario[] = [rollingRestart];
