import { duplicates } from './duplicates';
import { hungHandler } from './hung-handler';
import { killNine } from './kill-nine';
import { malformedCopy } from './malformed-copy';
import { malformedMessages } from './malformed-messages';
import { rollingRestart } from './rolling-restart';
import type { Scenario } from './scenario';
import { sigtermDrain } from './sigterm-drain';

export type { Scenario } from './scenario';

/** Every scenario of the fault suite, in the order the table shows them. */
export const SCENARIOS: readonly Scenario[] = [rollingRestart, sigtermDrain, killNine, malformedCopy, duplicates, hungHandler, malformedMessages];
