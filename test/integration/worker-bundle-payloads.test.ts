/**
 * The Lambda worker bundle as LightbusService builds it (bundleWorker with its defaults) resolves a
 * large payload and stores a large result through the S3 client it bundles, the lite one
 * (runtime/payloads/s3-lite): the bundle runs in a fresh Node process against the emulator, on an
 * SQS event of a call received from the RPC queue, as Lambda would run it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { bundleWorker, workerBundleLeaveOuts } from '../../cdk/bundle';
import { loadBusModuleTopology } from '../../cdk/bus-module-topology';
import { liteS3FileName } from '../../cdk/lite-s3-client';
import { provisionTopology } from '../../local';
import { lightbus, silentLogger } from '../../runtime';
import { blobApi } from '../fixtures/blob-api';
import { uniqueName } from '../support/aws';
import { queueRef, receiveSqsEvent, settleLikeEventSourceMapping } from '../handlers/sqs-event';

jest.setTimeout(180_000);

const FIXTURE = join(__dirname, '..', 'fixtures', 'payload-echo-bus.ts');
const MB = 1024 * 1024;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Runs the bundle's handler once on `event` in a fresh Node process, as Lambda would, and returns its answer. */
function invokeBundle(bundleFile: string, event: unknown, env: Record<string, string>): Promise<SQSBatchResponse> {
  const directory = mkdtempSync(join(tmpdir(), 'lightbus-bundle-event-'));
  const eventFile = join(directory, 'event.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const script = [
    `const event = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(eventFile)}, 'utf8'));`,
    "const context = { functionName: 'worker', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 };",
    `Promise.resolve(require(${JSON.stringify(bundleFile)}).handler(event, context))`,
    "  .then((out) => process.stdout.write('\\n@@answer ' + JSON.stringify(out) + '\\n'), (error) => { console.error(error); process.exit(1); });",
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { env: { ...process.env, NODE_OPTIONS: '', ...env }, maxBuffer: 16 * MB }, (error, stdout, stderr) => {
      rmSync(directory, { recursive: true, force: true });
      if (error) return reject(new Error(`the bundle failed: ${error.message}\n${stdout}\n${stderr}`));
      const line = stdout.split('\n').find((l) => l.startsWith('@@answer '));
      if (line === undefined) return reject(new Error(`the bundle printed no answer:\n${stdout}\n${stderr}`));
      resolve(JSON.parse(line.slice('@@answer '.length)) as SQSBatchResponse);
    });
  });
}

describe('a Lambda worker bundle with payloads past the SQS and DynamoDB limits', () => {
  const busName = uniqueName('bundle-s3');
  const { topology } = loadBusModuleTopology(FIXTURE, busName);
  const bundle = bundleWorker(FIXTURE, { minify: true, target: 'node20', ...workerBundleLeaveOuts({}, topology) });
  const caller = lightbus.create({ busName, serviceName: 'caller', apis: [blobApi], logger: silentLogger });

  afterAll(() => caller.close());

  it("holds the lite S3 client, not the SDK's S3 package", () => {
    expect(bundle.inputs.some((input) => input.endsWith(`/${liteS3FileName()}`))).toBe(true);
    expect(bundle.inputs).toContain('runtime/payloads/s3-lite/client.ts');
    expect(bundle.inputs.filter((input) => input.includes('node_modules/@aws-sdk/client-s3/'))).toEqual([]);
  });

  it('reads 1 MB of call parameters from the payload bucket and writes the 1 MB result back there', async () => {
    const provisioned = await provisionTopology(topology, caller.transports.clients, silentLogger);
    const rpcQueue = await queueRef(caller.transports.clients.sqs, provisioned.queueUrls.get(topology.rpcQueues[0]!.queueName)!);
    const text = 'payload-'.repeat(MB / 8);
    const answer = caller.blob.echo({ text }, { timeoutMs: 120_000 });
    const event = await receiveSqsEvent(caller.transports.clients.sqs, rpcQueue, { min: 1, timeoutMs: 30_000 });
    expect(event.Records).toHaveLength(1);
    expect(JSON.parse(event.Records[0]!.body)).toHaveProperty('parametersRef');
    const response = await invokeBundle(join(bundle.directory, 'index.js'), event, {
      LIGHTBUS_BUS_NAME: busName,
      LIGHTBUS_PAYLOAD_BUCKET: provisioned.payloadBucket,
    });
    expect(response).toEqual({ batchItemFailures: [] });
    await settleLikeEventSourceMapping(caller.transports.clients.sqs, rpcQueue, event, response);
    const echoed = await answer;
    expect(echoed.length).toBe(text.length);
    expect(sha(echoed)).toBe(sha(text));
    // The result went through the bucket: the worker stored it with PutObject.
    const results = await caller.transports.clients.s3.send(new ListObjectsV2Command({ Bucket: provisioned.payloadBucket, Prefix: 'blob/result/' }));
    expect(results.Contents ?? []).toHaveLength(1);
  });
});
