/**
 * In-memory stand-ins for a bus client's transports (unit tests only): what a caller sends is
 * recorded, results and EventBridge ids are answered by the test, and nothing reaches AWS.
 */
import type { BusClient } from '../../runtime';
import { Dispatcher, type DispatchOutcome } from '../../runtime/dispatch';
import type { WireError } from '../../runtime/messages';
import type { DeliveryListener } from '../../runtime/transport';

export type StubResult = { readonly state: 'ok'; readonly resultJson: string } | { readonly state: 'error'; readonly error: WireError };

export interface PublishedEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
}

export interface StubbedTransports {
  /** Bodies sent to each queue, in order. */
  readonly sent: { queueName: string; body: string }[];
  /** Entries given to the EventBridge publisher. */
  readonly published: PublishedEntry[];
  /** Results the worker side wrote. */
  readonly completed: { callId: string; outcome: { ok: true; resultJson: string } | { ok: false; error: WireError } }[];
  /** Visibility changes (retry delays) the dispatcher asked for. */
  readonly visibility: { queueName: string; seconds: number }[];
}

/**
 * Replaces `bus.transports`' queues, poller, publisher and results store with stubs. `answer`
 * answers each RPC the bus calls (the default echoes `null`).
 */
export function stubTransports(bus: BusClient, answer: (request: { id: string; parameters: Record<string, unknown> }) => StubResult = () => ({ state: 'ok', resultJson: 'null' })): StubbedTransports {
  const stub: StubbedTransports = { sent: [], published: [], completed: [], visibility: [] };
  const requests = new Map<string, { id: string; parameters: Record<string, unknown> }>();
  const define = (name: string, value: unknown) => Object.defineProperty(bus.transports, name, { value, configurable: true });
  define('queues', {
    send: async (queueName: string, body: string) => {
      stub.sent.push({ queueName, body });
      const parsed = JSON.parse(body) as { id?: string; parameters?: Record<string, unknown> };
      if (typeof parsed.id === 'string') requests.set(parsed.id, { id: parsed.id, parameters: parsed.parameters ?? {} });
    },
    changeVisibility: async (queueName: string, _receipt: string, seconds: number) => {
      stub.visibility.push({ queueName, seconds });
    },
  });
  define('poller', {
    wait: async (_table: string, callId: string) => {
      const request = requests.get(callId);
      if (!request) throw new Error(`stub poller: no request ${callId} was sent`);
      return answer(request);
    },
  });
  let n = 0;
  const publishOne = (entry: PublishedEntry): string => {
    stub.published.push(entry);
    n += 1;
    return `eb-${n}`;
  };
  define('publisher', {
    // fire() with a span or hooks, or offloaded parameters.
    publish: async (entry: PublishedEntry) => publishOne(entry),
    // fire() otherwise: the publisher settles the fire's own promise, later, as EventBridge answers.
    publishTo: (entry: PublishedEntry, _context: unknown, _deadline: number, listener: DeliveryListener) => {
      const eventBridgeId = publishOne(entry);
      queueMicrotask(() => listener.resolve(eventBridgeId));
    },
  });
  define('results', {
    claim: async () => true,
    complete: async (_table: string, callId: string, outcome: StubbedTransports['completed'][number]['outcome']) => {
      stub.completed.push({ callId, outcome });
    },
  });
  return stub;
}

/** Runs a message body through a fresh dispatcher of `bus`, as if received on `queueName`. */
export function dispatchBody(bus: BusClient, queueName: string, body: string, receiveCount = 1): Promise<DispatchOutcome> {
  return new Dispatcher(bus).dispatch({ messageId: `m-${Math.random()}`, body, receiptHandle: 'r', receiveCount, queueName });
}

/** An EventBridge delivery (the body SQS holds for a listener queue) of a published entry. */
export function eventDeliveryBody(entry: PublishedEntry): string {
  return JSON.stringify({
    version: '0',
    id: 'eb-1',
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: JSON.parse(entry.Detail) as unknown,
  });
}
