/**
 * The bus module `lightbus run --local` runs in the fault suite (tools/faults). Every procedure and
 * listener appends what it does to LIGHTBUS_FAULT_RECORD_FILE (one JSON line in one append, so
 * writers never interleave; a reader skips the last line until its newline is there), so the suite
 * can count what ran, where, how often and how late, across worker processes.
 */
import { appendFileSync } from 'node:fs';
import { lightbus } from '../../runtime';
import { FAULT_LISTENERS, faultApi, type RunRecord } from './fault-api';

const recordFile = process.env.LIGHTBUS_FAULT_RECORD_FILE as string;

function record(k: RunRecord['k'], tag: string, due?: number, id?: string): void {
  const line: RunRecord = { k, tag, pid: process.pid, t: Date.now(), ...(due !== undefined ? { due } : {}), ...(id !== undefined ? { id } : {}) };
  appendFileSync(recordFile, `${JSON.stringify(line)}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const never = () => new Promise<never>(() => undefined);

export const bus = lightbus.create({ serviceName: 'faults', apis: [faultApi] });

bus.register(faultApi, {
  work: async ({ tag, ms }, context) => {
    record('rpc-start', tag, context.deadline, context.callId);
    await sleep(ms);
    record('rpc-end', tag, context.deadline);
    return tag;
  },
  hang: async ({ tag }, context) => {
    record('hang-start', tag, context.deadline, context.callId);
    return never();
  },
});

bus.faults.job.listen(async (_event, { tag, ms, firedAt }) => {
  record('ev-start', tag, firedAt);
  await sleep(ms);
  record('ev-end', tag, firedAt);
}, FAULT_LISTENERS.jobs);

bus.faults.stuck.listen(async (_event, { tag }) => {
  record('stuck-start', tag);
  await never();
}, FAULT_LISTENERS.stuck);

bus.faults.once.listen((_event, { tag }) => {
  record('once-run', tag);
}, FAULT_LISTENERS.once);
