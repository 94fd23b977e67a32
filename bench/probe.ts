const root = process.argv[2]!;
const mode = process.argv[3] ?? 'default';
/* eslint-disable @typescript-eslint/no-require-imports */
if (mode === 'absent') require(`${root}/runtime/tracing`).useOpenTelemetry(false);
const { createSqsHandler } = require(`${root}/handlers`);
const { bus } = require(`${root}/bench/fixtures/lambda-bus`);
const { sqsEvent } = require(`${root}/bench/scenarios/lambda`);
const queueArn = `arn:aws:sqs:us-east-1:000000000000:${bus.settings.busName}-listen-bench-counter`;
const traced = process.argv[4] === 'traced';
const events = Array.from({ length: 2000 }, (_, i) => {
  const e = sqsEvent(queueArn, i * 10);
  if (traced) for (const r of e.Records) { const env = JSON.parse(r.body); env.detail.traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'; r.body = JSON.stringify(env); }
  return e;
});
const context = { functionName: 'bench', awsRequestId: 'req', getRemainingTimeInMillis: () => 300_000 };
(async () => {
  const h = createSqsHandler(bus);
  const out: number[] = [];
  for (let round = 0; round < 8; round++) {
    for (const e of events.slice(0, 200)) await h(e, context);
    const t = process.cpuUsage();
    for (const e of events) await h(e, context);
    const d = process.cpuUsage(t);
    out.push(Math.round((d.user + d.system) / 20) / 1000);
  }
  console.log(root.split('/').pop(), mode, traced ? 'traced' : '', 'µs/record', out.join(' '), 'min', Math.min(...out));
})();
