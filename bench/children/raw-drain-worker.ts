/**
 * The raw-SDK consumer for the events-end-to-end baseline, in its own process as the lightbus
 * worker is: POLLERS concurrent loops of ReceiveMessage(10, long poll) + DeleteMessageBatch on
 * QUEUE_URL, with no lightbus code. Reports {type:'drained', lastAt} over IPC once TOTAL messages
 * are deleted. Env: QUEUE_URL, TOTAL, POLLERS (default 8).
 */
import { RawClients } from '../lib/aws';
import { rawDrainLoops } from '../lib/raw-sdk';

const raw = new RawClients();
process.send?.({ type: 'ready' });
void rawDrainLoops(raw.sqs, process.env.QUEUE_URL as string, Number(process.env.TOTAL), Number(process.env.POLLERS ?? '8'), () =>
  process.send?.({ type: 'drained', lastAt: Date.now() }),
).then(() => {
  raw.destroy();
  setTimeout(() => process.exit(0), 100);
});
