import type { ScenarioContext } from '../../../tools/faults/context';

/** One fault the suite reproduces: it drives workers and a client, and counts into `ctx.tally`. */
export interface Scenario {
  /** The row's name in the fault table. */
  readonly name: string;
  run(ctx: ScenarioContext): Promise<void>;
}

/** A call that resolves to whether the expected value came back (any error or timeout: false). */
export function settles<T>(call: Promise<T>, expected: T): Promise<boolean> {
  return call.then(
    (value) => value === expected,
    () => false,
  );
}
