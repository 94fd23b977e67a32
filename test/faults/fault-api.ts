/** The API the fault suite's workers serve and its client calls (see tools/faults). */
import { lightbus, z } from '../../runtime';

export const faultApi = lightbus.api('faults', {
  rpcs: {
    /** Records its start and end, works `ms`, returns its tag. */
    work: lightbus.rpc({ parameters: { tag: z.string(), ms: z.number().int() }, response: z.string() }),
    /** Records its start and never returns: a hung procedure. */
    hang: lightbus.rpc({ parameters: { tag: z.string() }, response: z.string() }),
  },
  events: {
    /** Handled by listener `jobs`: records its start and end, works `ms`. */
    job: lightbus.event({ parameters: { tag: z.string(), ms: z.number().int(), firedAt: z.number() } }),
    /** Handled by listener `stuck`, which records its start and never returns. */
    stuck: lightbus.event({ parameters: { tag: z.string() } }),
  },
});

/** One line of a worker's record file: what ran where, and when. */
export interface RunRecord {
  readonly k: 'rpc-start' | 'rpc-end' | 'ev-start' | 'ev-end' | 'hang-start' | 'stuck-start';
  readonly tag: string;
  readonly pid: number;
  /** Epoch ms. */
  readonly t: number;
  /** The call's deadline (RPC records), or when the event was fired (event records). */
  readonly due?: number;
  /** The call id (RPC records). */
  readonly id?: string;
}

/** Listener settings the suite relies on: short visibility (kill -9 recovery), few receives for `stuck`. */
export const FAULT_LISTENERS = {
  jobs: { listenerName: 'jobs', visibilityTimeoutSeconds: 8, maxReceives: 5, retryDelaySeconds: 1 },
  stuck: { listenerName: 'stuck', visibilityTimeoutSeconds: 8, maxReceives: 2, retryDelaySeconds: 0 },
} as const;
