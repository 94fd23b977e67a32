/** What every fault scenario gets: a fresh bus, its worker processes, its client, its record file. */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lightbus, silentLogger } from '../../runtime';
import type { Bus } from '../../runtime/client/create';
import { FAULT_LISTENERS, faultApi, type RunRecord } from '../../test/faults/fault-api';
import { spawnWorker, type WorkerProcess } from './workers';

/** One scenario's counts: each must be 0. `notes` say what was measured besides. */
export interface Tally {
  lost: number;
  runTwice: number;
  vanished: number;
  crashed: number;
  late: number;
  readonly notes: string[];
}

export function emptyTally(): Tally {
  return { lost: 0, runTwice: 0, vanished: 0, crashed: 0, late: 0, notes: [] };
}

export type FaultClient = Bus<readonly [typeof faultApi]>;

export class ScenarioContext {
  public readonly busName = `flt${randomBytes(4).toString('hex')}`;
  public readonly recordFile: string;
  public readonly workers: WorkerProcess[] = [];
  public readonly client: FaultClient;
  public readonly tally = emptyTally();

  public constructor(
    workDir: string,
    private readonly env: Readonly<Record<string, string>>,
  ) {
    this.recordFile = join(workDir, `${this.busName}.jsonl`);
    this.client = lightbus.create({ busName: this.busName, serviceName: 'faults', apis: [faultApi], logger: silentLogger });
    // Registered only so the client's topology names the service's queues; this client never consumes.
    this.client.register(faultApi, { work: () => '', hang: () => '' });
    this.client.faults.job.listen(() => undefined, FAULT_LISTENERS.jobs);
    this.client.faults.stuck.listen(() => undefined, FAULT_LISTENERS.stuck);
  }

  public async worker(name: string, args: readonly string[] = []): Promise<WorkerProcess> {
    const worker = await spawnWorker(name, { busName: this.busName, recordFile: this.recordFile, env: this.env, args });
    this.workers.push(worker);
    return worker;
  }

  public records(): RunRecord[] {
    if (!existsSync(this.recordFile)) return [];
    const lines = readFileSync(this.recordFile, 'utf8').split('\n');
    // The last piece is the line a worker may be appending as we read (a read can see part of a
    // write): only lines already ended by their newline are records.
    lines.pop();
    return lines.filter(Boolean).map((line) => JSON.parse(line) as RunRecord);
  }

  /** How many records of kind `k` each tag has. */
  public counts(k: RunRecord['k']): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.records()) if (r.k === k) counts.set(r.tag, (counts.get(r.tag) ?? 0) + 1);
    return counts;
  }

  public get rpcQueue(): string {
    return this.client.topology().rpcQueues[0]!.queueName;
  }

  public get rpcDeadLetterQueue(): string {
    return this.client.topology().rpcQueues[0]!.deadLetterQueueName;
  }

  public listenerQueue(name: 'jobs' | 'stuck'): { queueName: string; deadLetterQueueName: string } {
    return this.client.topology().listeners.find((l) => l.listenerName === name)!;
  }

  public get resultsTable(): string {
    return this.client.transports.location.resultsTable;
  }

  /** Sends a raw body (and attributes) to a queue, as a misbehaving producer would. Returns its message id. */
  public async sendRaw(queueName: string, body: string, attributes?: Record<string, MessageAttributeValue>): Promise<string> {
    const url = await this.client.transports.queues.locator.url(queueName);
    const out = await this.client.transports.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: body, ...(attributes ? { MessageAttributes: attributes } : {}) }),
    );
    return out.MessageId ?? '';
  }

  /** Visible and in-flight message counts of a queue. */
  public async queueCounts(queueName: string): Promise<{ visible: number; inFlight: number }> {
    const url = await this.client.transports.queues.locator.url(queueName);
    const out = await this.client.transports.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** Takes every message off a (dead-letter) queue: their bodies and attributes. */
  public async drain(queueName: string): Promise<{ body: string; attributes: Record<string, MessageAttributeValue> }[]> {
    const url = await this.client.transports.queues.locator.url(queueName);
    const all: { body: string; attributes: Record<string, MessageAttributeValue> }[] = [];
    for (;;) {
      const out = await this.client.transports.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300, MessageAttributeNames: ['All'] }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return all;
      for (const m of messages) all.push({ body: m.Body ?? '', attributes: m.MessageAttributes ?? {} });
    }
  }

  /** Stops every worker still running with SIGTERM and counts those that crashed. */
  public async finish(): Promise<Tally> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.tally.crashed += this.workers.filter((w) => w.crashed).length;
    await this.client.close();
    return this.tally;
  }
}

/** An RPC request body as a caller sends it (docs/wire-format.md), with overrides. */
export function rpcBody(table: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    v: 1,
    kind: 'lightbus.rpc',
    id: `raw-${randomBytes(6).toString('hex')}`,
    api: 'faults',
    procedure: 'work',
    parameters: { tag: `raw-${randomBytes(4).toString('hex')}`, ms: 1 },
    deadline: Date.now() + 30_000,
    returnPath: { table },
    ...fields,
  });
}

/** An EventBridge delivery of faults.job as a listener queue receives it, with overrides of the envelope and detail. */
export function eventBody(envelope: Record<string, unknown> = {}, detail: Record<string, unknown> = {}): string {
  const tag = `raw-${randomBytes(4).toString('hex')}`;
  return JSON.stringify({
    version: '0',
    id: randomBytes(8).toString('hex'),
    'detail-type': 'faults.job',
    source: 'lightbus.faults',
    time: new Date().toISOString(),
    detail: { v: 1, kind: 'lightbus.event', id: `ev-${tag}`, api: 'faults', event: 'job', parameters: { tag, ms: 1, firedAt: Date.now() }, firedAt: new Date().toISOString(), ...detail },
    ...envelope,
  });
}
