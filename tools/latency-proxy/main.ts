/**
 * The latency proxy as a child process (so its work is not charged to the process it measures).
 * Env: PROXY_UPSTREAM (the emulator), PROXY_PROFILE ('aws' | 'zero'), PROXY_SEED.
 * IPC: sends {type:'ready', endpoint}; answers {type:'record', on}, {type:'take'} → {type:'taken', records, units}.
 */
import { AWS_PROFILE, startLatencyProxy, ZERO_PROFILE } from './index';

async function main(): Promise<void> {
  const upstream = process.env.PROXY_UPSTREAM;
  if (!upstream) throw new Error('PROXY_UPSTREAM is not set');
  const profile = process.env.PROXY_PROFILE === 'zero' ? ZERO_PROFILE : AWS_PROFILE;
  // AWS-like: long polls answered as soon as a message is there, as SQS does; the zero-latency
  // pass-through (plain mode's traced runs) keeps the emulator's own behaviour.
  const longPolls = profile === AWS_PROFILE ? 'aws' : 'emulator';
  const proxy = await startLatencyProxy({ upstream, profile, seed: Number(process.env.PROXY_SEED ?? 15), longPolls });
  process.on('message', (raw) => {
    const m = raw as { type: string; on?: boolean };
    if (m.type === 'record') {
      proxy.setRecording(m.on === true);
      process.send?.({ type: 'recording', on: m.on === true });
    } else if (m.type === 'take') {
      process.send?.({ type: 'taken', records: proxy.takeRecords(), units: proxy.takeUnits() });
    }
  });
  process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
  process.on('disconnect', () => void proxy.close().then(() => process.exit(0)));
  process.send?.({ type: 'ready', endpoint: proxy.endpoint });
}

void main().catch((error: Error) => {
  process.stderr.write(`latency proxy: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
