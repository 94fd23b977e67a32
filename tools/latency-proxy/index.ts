/**
 * A latency-injecting HTTP proxy for an AWS emulator: every request waits for a latency drawn
 * from its service's distribution (profiles.ts), half before it is forwarded and half before its
 * response goes back; a long poll (ReceiveMessage with WaitTimeSeconds > 0) is started at once
 * and only its response's start is delayed, so the wait itself is not lengthened. With
 * `longPolls: 'aws'` the proxy keeps long polls itself and answers them as soon as a message is
 * there, as SQS does (long-poll.ts); with `'emulator'` they are forwarded as they are.
 *
 * It also counts each request's billable units (for the bench's cost figures) and, while
 * recording, keeps a timestamped record of each request tagged with the lightbus call ids it
 * carries (SQS message bodies, results-table keys): the per-call timeline of bench/scenarios/rpc.ts.
 *
 * Queue URLs: tools/emulator pins MINISTACK_HOST, so the emulator's queue URLs name its own port,
 * and the SDK (useQueueUrlAsEndpoint) would send SQS calls straight there, around the proxy. The
 * proxy rewrites the emulator's origin to its own in every response body that carries it.
 */
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { hasMessages, queueKeyOf, QueueWaiters, RECHECK_MS, shortPollBody } from './long-poll';
import { logNormalSampler, type LatencyProfile, type Service } from './profiles';

export * from './profiles';

export interface ProxyRecord {
  readonly service: Service;
  readonly op: string;
  /** Epoch ms (high resolution): request fully received, forwarded, upstream answered, response sent. */
  readonly t0: number;
  readonly t1: number;
  readonly t2: number;
  readonly t3: number;
  /** Call ids in the request (messages sent, claims, result writes, keys read). */
  readonly ids?: string[];
  /** Call ids whose message this response delivered (ReceiveMessage). */
  readonly received?: string[];
  /** Call ids whose finished result this response delivered (BatchGetItem / GetItem). */
  readonly done?: string[];
  /** Call ids whose message this request deleted. */
  readonly deleted?: string[];
  /** Call ids whose result this BatchExecuteStatement wrote (its UPDATEs; its INSERTs, claims, are in `ids`). */
  readonly written?: string[];
  /** Messages a ReceiveMessage returned; entries a batch call carried (PutEvents, SendMessageBatch, DeleteMessageBatch). */
  readonly count?: number;
  /** Requests the proxy made upstream for this one (more than 1 for a long poll it kept: its short polls). */
  readonly forwarded?: number;
}

/** Billable units by `service.op`: requests, and (DynamoDB) RRU/WRU, (EventBridge) events. */
export interface UnitCounts {
  /** `forwarded`: requests sent on to the emulator for these (more than `requests` where the proxy keeps long polls). */
  [key: string]: { requests: number; units: number; unit: string; forwarded?: number };
}

export interface LatencyProxy {
  readonly endpoint: string;
  readonly port: number;
  setRecording(on: boolean): void;
  /** The records kept since the last call (while recording), and clears them. */
  takeRecords(): ProxyRecord[];
  /** Units counted since the last call, and resets the counts. */
  takeUnits(): UnitCounts;
  close(): Promise<void>;
}

export interface LatencyProxyOptions {
  /** The emulator, e.g. http://127.0.0.1:4566. */
  readonly upstream: string;
  readonly profile: LatencyProfile;
  /** Seed of the per-service PRNGs. @default 15 */
  readonly seed?: number;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * `aws`: long polls answered as soon as a message is there (long-poll.ts); `emulator`: forwarded
   * as they are, with the emulator's 100 ms re-check. @default 'emulator'
   */
  readonly longPolls?: 'aws' | 'emulator';
}

const SERVICES: readonly Service[] = ['sqs', 'dynamodb', 'eventbridge', 'sns', 's3', 'other'];

export const nowMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => (ms > 0.5 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

/** The emulator's answer to a forwarded request. */
interface Upstream {
  readonly status: number;
  readonly headers: http.OutgoingHttpHeaders;
  readonly body: Buffer;
}

interface Classified {
  service: Service;
  op: string;
  json?: Record<string, unknown>;
  form?: URLSearchParams;
}

/** Tells the service and operation apart by the request, as AWS's protocols carry them. */
export function classify(method: string, headers: http.IncomingHttpHeaders, url: string, body: string): Classified {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix = '', op = ''] = target.split('.');
    const service: Service = prefix.startsWith('DynamoDB') ? 'dynamodb' : prefix === 'AWSEvents' ? 'eventbridge' : prefix === 'AmazonSQS' ? 'sqs' : 'other';
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { service, op, ...(json ? { json } : {}) };
  }
  const contentType = String(headers['content-type'] ?? '');
  if (contentType.startsWith('application/x-www-form-urlencoded') && body.includes('Action=')) {
    const form = new URLSearchParams(body);
    const op = form.get('Action') ?? 'unknown';
    // Query protocol: SQS (older SDKs) and SNS. The SigV4 credential scope names the service.
    const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([a-z0-9-]+)\//.exec(String(headers.authorization ?? ''))?.[1];
    const service: Service = scope === 'sqs' || scope === 'sns' ? scope : form.has('QueueUrl') || op.includes('Message') ? 'sqs' : form.has('TopicArn') || op === 'Publish' ? 'sns' : 'other';
    return { service, op, form };
  }
  if (url.startsWith('/_ministack')) return { service: 'other', op: 'emulator' };
  // REST (S3): path-style /bucket/key on the emulator.
  const segments = (url.split('?')[0] ?? '').split('/').filter(Boolean).length;
  return { service: 's3', op: `${method}${segments >= 2 ? 'Object' : 'Bucket'}` };
}

function isLongPoll(c: Classified): boolean {
  if (c.op !== 'ReceiveMessage') return false;
  const wait = c.json ? Number(c.json.WaitTimeSeconds ?? 0) : Number(c.form?.get('WaitTimeSeconds') ?? 0);
  return wait > 0;
}

type Json = Record<string, unknown>;
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown): string | undefined => (v && typeof v === 'object' && typeof (v as Json).S === 'string' ? ((v as Json).S as string) : undefined);

/** The call id of an SQS message body, if it is a lightbus RPC request. */
function rpcIdOf(body: unknown): string | undefined {
  if (typeof body !== 'string' || !body.includes('lightbus.rpc')) return undefined;
  try {
    const parsed = JSON.parse(body) as Json;
    return parsed.kind === 'lightbus.rpc' && typeof parsed.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/** Billable units of one request (list-price units; see bench/README.md, "Cost"). */
function unitsOf(c: Classified, requestBytes: number): { units: number; unit: string } {
  const j = c.json ?? {};
  const chunks = Math.max(1, Math.ceil(requestBytes / 65_536));
  switch (c.service) {
    case 'sqs':
      return { units: chunks, unit: 'requests' };
    case 'eventbridge':
      return c.op === 'PutEvents' ? { units: arr(j.Entries).length, unit: 'events' } : { units: 0, unit: 'free' };
    case 'sns':
      return c.op === 'Publish' ? { units: chunks, unit: 'requests' } : c.op === 'PublishBatch' ? { units: 10, unit: 'requests' } : { units: 1, unit: 'requests' };
    case 'dynamodb': {
      const rru = (consistent: unknown) => (consistent === true ? 1 : 0.5);
      switch (c.op) {
        case 'PutItem': case 'UpdateItem': case 'DeleteItem': case 'ExecuteStatement':
          return { units: 1, unit: 'WRU' };
        case 'BatchExecuteStatement':
          return { units: arr(j.Statements).length, unit: 'WRU' };
        case 'BatchWriteItem':
          return { units: Object.values((j.RequestItems ?? {}) as Record<string, unknown[]>).reduce((n, v) => n + v.length, 0), unit: 'WRU' };
        case 'TransactWriteItems':
          return { units: 2 * arr(j.TransactItems).length, unit: 'WRU' };
        case 'GetItem':
          return { units: rru(j.ConsistentRead), unit: 'RRU' };
        case 'BatchGetItem':
          return {
            units: Object.values((j.RequestItems ?? {}) as Record<string, Json>).reduce((n, t) => n + arr(t.Keys).length * rru(t.ConsistentRead), 0),
            unit: 'RRU',
          };
        case 'Query': case 'Scan':
          return { units: 1, unit: 'RRU' };
        default:
          return { units: 0, unit: 'free' };
      }
    }
    default:
      return { units: 0, unit: 'free' };
  }
}

export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const upstream = new URL(options.upstream);
  const seed = options.seed ?? 15;
  const samplers = Object.fromEntries(SERVICES.map((s, i) => [s, logNormalSampler(options.profile[s], seed * 7919 + i)])) as Record<Service, () => number>;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  let recording = false;
  let records: ProxyRecord[] = [];
  let units: UnitCounts = {};
  /** ReceiptHandle → call id, to tag deletes (kept while recording). */
  const receipts = new Map<string, string>();
  let ownOrigin = '';
  const waiters = new QueueWaiters();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks)).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`latency proxy: ${error.message}`);
      });
    });
  });
  server.keepAliveTimeout = 60_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const t0 = nowMs();
    const text = body.toString('utf8');
    const c = classify(req.method ?? 'GET', req.headers, req.url ?? '/', text);
    const key = `${c.service}.${c.op}`;
    const u = unitsOf(c, body.length);
    const count = (units[key] ??= { requests: 0, units: 0, unit: u.unit });
    count.requests += 1;
    count.units += u.units;
    const latency = samplers[c.service]();
    const before = isLongPoll(c) ? 0 : latency / 2;
    await sleep(before);
    const t1 = nowMs();
    const kept = options.longPolls === 'aws' && isLongPoll(c) && c.json;
    const upstreamRes = kept ? await longPoll(req, c.json ?? {}, count) : { ...(await forward(req, body)), forwarded: 1 };
    const t2 = nowMs();
    // A send answered: a long poll parked on its queue looks again at once.
    if (c.op === 'SendMessage' || c.op === 'SendMessageBatch' || c.op === 'ChangeMessageVisibility' || c.op === 'ChangeMessageVisibilityBatch') {
      const queue = queueKeyOf(c.json?.QueueUrl ?? c.form?.get('QueueUrl'));
      const entries = c.json?.Entries;
      if (queue !== undefined) waiters.wake(queue, Array.isArray(entries) ? entries.length : 1);
    }
    let responseBody = upstreamRes.body;
    const headers = { ...upstreamRes.headers };
    const upstreamOrigin = upstream.origin;
    if (c.service === 'sqs' || c.service === 'sns' || c.service === 'other') {
      const s = responseBody.toString('utf8');
      if (s.includes(upstreamOrigin)) {
        responseBody = Buffer.from(s.split(upstreamOrigin).join(ownOrigin), 'utf8');
        delete headers['x-amz-crc32'];
      }
    }
    delete headers['transfer-encoding'];
    headers['content-length'] = String(responseBody.length);
    await sleep(latency - before);
    res.writeHead(upstreamRes.status, headers);
    res.end(responseBody);
    const t3 = nowMs();
    if (recording) records.push(tag(c, responseBody, { service: c.service, op: c.op, t0, t1, t2, t3, forwarded: upstreamRes.forwarded }));
  }

  /**
   * A long poll kept here (long-poll.ts): short polls to the emulator, at once and then whenever a
   * send to the queue went through or {@link RECHECK_MS} passed, until messages came or the wait
   * is over. The last answer goes back to the client.
   */
  async function longPoll(req: http.IncomingMessage, json: Record<string, unknown>, count: UnitCounts[string]): Promise<Upstream & { forwarded: number }> {
    const queue = queueKeyOf(json.QueueUrl);
    const deadline = nowMs() + Number(json.WaitTimeSeconds) * 1000;
    const body = shortPollBody(json);
    const headers = { ...req.headers, 'content-length': String(body.length) };
    for (let forwarded = 1; ; forwarded += 1) {
      count.forwarded = (count.forwarded ?? 0) + 1;
      const answer = await forward(req, body, headers);
      const left = deadline - nowMs();
      if (queue === undefined || answer.status !== 200 || hasMessages(answer.body) || left <= 0) return { ...answer, forwarded };
      await waiters.wait(queue, Math.min(RECHECK_MS, left));
    }
  }

  function forward(req: http.IncomingMessage, body: Buffer, headers: http.IncomingHttpHeaders = req.headers): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const out = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (r) => {
          const parts: Buffer[] = [];
          r.on('data', (p: Buffer) => parts.push(p));
          r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) }));
          r.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  /** Adds the lightbus call ids a request and its response carry. */
  function tag(c: Classified, responseBody: Buffer, base: ProxyRecord): ProxyRecord {
    const j = c.json ?? {};
    const pk = (key: unknown) => str((key as Json | undefined)?.pk);
    const ids = (list: (string | undefined)[]) => list.filter((x): x is string => x !== undefined);
    switch (c.op) {
      case 'SendMessage':
        return { ...base, ids: ids([rpcIdOf(j.MessageBody)]) };
      case 'SendMessageBatch':
        return { ...base, ids: ids(arr(j.Entries).map((e) => rpcIdOf(e.MessageBody))), count: arr(j.Entries).length };
      case 'PutEvents':
        return { ...base, count: arr(j.Entries).length };
      case 'ReceiveMessage': {
        let out: Json = {};
        try {
          out = JSON.parse(responseBody.toString('utf8')) as Json;
        } catch { /* not JSON */ }
        const received: string[] = [];
        for (const m of arr(out.Messages)) {
          const id = rpcIdOf(m.Body);
          if (id === undefined) continue;
          received.push(id);
          if (typeof m.ReceiptHandle === 'string') receipts.set(m.ReceiptHandle, id);
        }
        return { ...base, received, count: arr(out.Messages).length };
      }
      case 'DeleteMessage':
      case 'DeleteMessageBatch': {
        const handles = c.op === 'DeleteMessage' ? [j.ReceiptHandle] : arr(j.Entries).map((e) => e.ReceiptHandle);
        const deleted = ids(handles.map((h) => (typeof h === 'string' ? receipts.get(h) : undefined)));
        for (const h of handles) if (typeof h === 'string') receipts.delete(h);
        return { ...base, deleted, count: handles.length };
      }
      case 'PutItem':
        return { ...base, ids: ids([pk(j.Item)]) };
      case 'UpdateItem':
        return { ...base, ids: ids([pk(j.Key)]) };
      case 'BatchExecuteStatement': {
        // A claim's INSERT: its first parameter is the partition key (runtime/transport/claim-write.ts).
        // A result's UPDATE: the key is the WHERE's first parameter, second to last (runtime/transport/result-write.ts).
        const statements = arr(j.Statements);
        const isUpdate = (s: Json) => typeof s.Statement === 'string' && /^\s*UPDATE\b/i.test(s.Statement);
        const written = ids(statements.filter(isUpdate).map((s) => str(arr(s.Parameters).at(-2))));
        return { ...base, ids: ids(statements.filter((s) => !isUpdate(s)).map((s) => str(arr(s.Parameters)[0]))), ...(written.length ? { written } : {}) };
      }
      case 'GetItem':
      case 'BatchGetItem': {
        let out: Json = {};
        try {
          out = JSON.parse(responseBody.toString('utf8')) as Json;
        } catch { /* not JSON */ }
        const items = c.op === 'GetItem' ? (out.Item ? [out.Item as Json] : []) : Object.values((out.Responses ?? {}) as Record<string, Json[]>).flat();
        const done = ids(items.filter((it) => { const s = str(it.state); return s === 'ok' || s === 'error'; }).map((it) => str(it.pk)));
        return { ...base, done };
      }
      default:
        return base;
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  ownOrigin = `http://127.0.0.1:${port}`;
  return {
    endpoint: ownOrigin,
    port,
    setRecording: (on) => {
      recording = on;
      if (!on) receipts.clear();
    },
    takeRecords: () => {
      const out = records;
      records = [];
      return out;
    },
    takeUnits: () => {
      const out = units;
      units = {};
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
