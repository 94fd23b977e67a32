import type { SQSClient } from '@aws-sdk/client-sqs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { S3Client } from '@aws-sdk/client-s3';
import { Agent as HttpAgent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { AwsSettings } from '../config';

/**
 * Enough sockets for a caller with many RPCs in flight and a worker with many messages in flight:
 * the SDK's default of 50 per client would queue requests behind one another.
 */
const MAX_SOCKETS = 256;

/**
 * How long the SDK waits for a TCP (and TLS) connection before giving up on an attempt. Callers
 * have their own deadlines (an RPC's timeoutMs, a fire's eventFireTimeout), enforced whatever the
 * endpoint does; this only frees a socket stuck connecting to an endpoint that does not answer.
 */
export const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * The longest one attempt of any SDK call may take before the SDK abandons it (and retries, as
 * for any timeout). Above SQS's longest long poll (ReceiveMessage with WaitTimeSeconds 20), so
 * that a worker's receive is never cut short; it bounds how long a request to a hung endpoint
 * holds its socket, not how long a caller waits.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** The code of the error a closed client's connections fail with: not one the SDK retries. */
export const CLIENTS_CLOSED_CODE = 'LIGHTBUS_CLIENTS_CLOSED';

/*
 * The client classes load on first use. Evaluating a client's module (runtime config, credential
 * chain, endpoint rules) is a third of a worker bundle's load time, and a listener that makes no
 * AWS call never needs it. The commands stay static imports: they are light.
 *
 * The literal dist-cjs paths are the packages' `main`, so Node and main-first bundlers load what
 * `import ... from '@aws-sdk/client-sqs'` would. cdk/bundle.ts aliases them to the client's own ES
 * module: a require() of the package index would make esbuild keep every command of the service.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
function sqsClientClass(): typeof SQSClient {
  const load = () => require('@aws-sdk/client-sqs/dist-cjs/index.js') as typeof import('@aws-sdk/client-sqs');
  return requireSdk(load, '@aws-sdk/client-sqs').SQSClient;
}

function eventBridgeClientClass(): typeof EventBridgeClient {
  const load = () => require('@aws-sdk/client-eventbridge/dist-cjs/index.js') as typeof import('@aws-sdk/client-eventbridge');
  return requireSdk(load, '@aws-sdk/client-eventbridge').EventBridgeClient;
}

function dynamoDbClientClass(): typeof DynamoDBClient {
  const load = () => require('@aws-sdk/client-dynamodb/dist-cjs/index.js') as typeof import('@aws-sdk/client-dynamodb');
  return requireSdk(load, '@aws-sdk/client-dynamodb').DynamoDBClient;
}
function snsClientClass(): typeof SNSClient {
  const load = () => require('@aws-sdk/client-sns/dist-cjs/index.js') as typeof import('@aws-sdk/client-sns');
  return requireSdk(load, '@aws-sdk/client-sns').SNSClient;
}

function s3ClientClass(): typeof S3Client {
  const load = () => require('@aws-sdk/client-s3/dist-cjs/index.js') as typeof import('@aws-sdk/client-s3');
  return requireSdk(load, '@aws-sdk/client-s3').S3Client;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Runs `load` (a literal require(), which bundlers see and bundle), falling back to a require
 * made with createRequire inside an ES module bundle that leaves the SDK external: esbuild's
 * require shim there cannot load an external package, and throws "Dynamic require of ...".
 * Resolved from the entry script, then the working directory (NODE_PATH, where Lambda's own SDK
 * lives, applies to both).
 */
function requireSdk<T>(load: () => T, packageName: string): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('Dynamic require of')) throw error;
    return requireFromApp(packageName) as T;
  }
}

function requireFromApp(packageName: string): unknown {
  const bases = [process.argv[1], `${process.cwd()}/`].filter((base): base is string => typeof base === 'string' && base !== '');
  for (const [index, base] of bases.entries()) {
    try {
      return createRequire(base)(packageName);
    } catch (error) {
      const notFound = (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
      if (!notFound || index === bases.length - 1) throw error;
    }
  }
  throw new Error(`Cannot load ${packageName}`);
}

/**
 * The agents of one SDK client, which know their sockets. `destroy()` on an SDK client
 * only destroys its agent's sockets: a request under way then fails with a connection reset, which
 * the SDK retries on a new socket, and a hung endpoint holds that one too (for up to
 * {@link REQUEST_TIMEOUT_MS} per attempt), keeping the process alive after close(). Once closed,
 * these agents fail every new connection at once, with an error the SDK does not retry.
 */
class ClosableAgents {
  public readonly http: HttpAgent;
  public readonly https: HttpsAgent;
  private readonly sockets = new Set<Duplex>();
  private closed: Error | undefined;

  public constructor(options: AgentOptions) {
    this.http = this.tracking(new HttpAgent(options));
    this.https = this.tracking(new HttpsAgent(options));
  }

  /** Destroys every socket, in use or idle, and fails the connections asked for from now on. */
  public close(): void {
    this.closed ??= Object.assign(new Error('The AWS clients of this bus client were closed.'), { code: CLIENTS_CLOSED_CODE });
    for (const socket of this.sockets) socket.destroy(this.closed);
    this.sockets.clear();
    this.http.destroy();
    this.https.destroy();
  }

  private tracking<A extends HttpAgent>(agent: A): A {
    // createConnection is the documented hook for the sockets an agent makes (node:http Agent).
    const create = agent.createConnection.bind(agent) as (...args: Parameters<HttpAgent['createConnection']>) => Duplex | null | undefined;
    agent.createConnection = (...args: Parameters<HttpAgent['createConnection']>) => {
      const socket = create(...args);
      if (!socket) return socket as unknown as Duplex;
      if (this.closed) {
        // Destroyed on the next tick, so the request has its error listener by then.
        const reason = this.closed;
        process.nextTick(() => socket.destroy(reason));
        return socket;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      return socket;
    };
    return agent;
  }
}

/**
 * The SDK clients, created on first use. Lambda init stays cheap (a handler that never fires
 * never builds an EventBridge client), and nothing touches the network at import time.
 */
export class AwsClients {
  private sqsClient: SQSClient | undefined;
  private sqsLongPollClient: SQSClient | undefined;
  private eventBridgeClient: EventBridgeClient | undefined;
  private dynamoDbClient: DynamoDBClient | undefined;
  private snsClient: SNSClient | undefined;
  private s3Client: S3Client | undefined;
  /** The sockets of each client made since the last destroy() (one set per client, as the SDK's own agents were). */
  private agents: ClosableAgents[] = [];

  public constructor(private readonly settings: AwsSettings = {}) {}

  private commonConfig(options: { readonly cacheMiddleware?: boolean } = {}) {
    const agents = new ClosableAgents({ keepAlive: true, maxSockets: MAX_SOCKETS });
    this.agents.push(agents);
    return {
      ...(this.settings.region !== undefined ? { region: this.settings.region } : {}),
      ...(this.settings.endpoint !== undefined ? { endpoint: this.settings.endpoint } : {}),
      // The SDK's standard retry mode (exponential backoff with jitter, retry quota) handles
      // throttling and transient errors; lightbus adds no retry loop of its own around calls.
      retryMode: 'standard',
      maxAttempts: 4,
      // The SDK resolves a command's middleware stack once per command class instead of on every
      // call: a fifth to a third of its own CPU per request (bench/results/optimisations.md). It
      // holds while nobody changes the stack, so {@link keepingMiddlewareCurrent} turns it off for
      // good on a client whose stack is changed. A call made with options (an abort signal)
      // resolves its own stack and empties the cache, hence the separate long-poll client.
      cacheMiddleware: options.cacheMiddleware ?? true,
      // The SDK's own timeouts (NodeHttpHandler options): a hung endpoint frees the socket. Without
      // throwOnRequestTimeout a request timeout is only a logged warning.
      requestHandler: {
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
        httpAgent: agents.http,
        httpsAgent: agents.https,
      },
    };
  }

  public get sqs(): SQSClient {
    this.sqsClient ??= keepingMiddlewareCurrent(new (sqsClientClass())(this.commonConfig()));
    return this.sqsClient;
  }

  /**
   * The SQS client of long polls (ReceiveMessage with an abort signal: a worker's, inspect's, the
   * dashboard's). Every call with options empties a client's middleware cache, so receives on
   * {@link sqs} would undo it for the sends and deletes there; this client caches nothing. Built
   * only by a process that polls.
   */
  public get sqsLongPolls(): SQSClient {
    this.sqsLongPollClient ??= new (sqsClientClass())(this.commonConfig({ cacheMiddleware: false }));
    return this.sqsLongPollClient;
  }

  public get eventBridge(): EventBridgeClient {
    this.eventBridgeClient ??= keepingMiddlewareCurrent(new (eventBridgeClientClass())(this.commonConfig()));
    return this.eventBridgeClient;
  }

  public get dynamoDb(): DynamoDBClient {
    this.dynamoDbClient ??= keepingMiddlewareCurrent(new (dynamoDbClientClass())(this.commonConfig()));
    return this.dynamoDbClient;
  }

  /** Built only by a bus that fires or provisions an API whose events travel over SNS. */
  public get sns(): SNSClient {
    this.snsClient ??= keepingMiddlewareCurrent(new (snsClientClass())(this.commonConfig()));
    return this.snsClient;
  }

  /**
   * Only built when a payload goes to (or comes from) the payload bucket: small messages never load it.
   * In LightbusService's worker bundles the class is the runtime's small S3 object client
   * (runtime/payloads/s3-lite, GetObject and PutObject only: cdk/lite-s3-client.ts), built from the
   * same configuration.
   */
  public get s3(): S3Client {
    // Path-style against an emulator endpoint: `<bucket>.<ip>` does not resolve.
    // No middleware cache: S3's middleware keeps per-bucket state (region redirects) in the context a cache would share.
    this.s3Client ??= new (s3ClientClass())({ ...this.commonConfig({ cacheMiddleware: false }), ...(this.settings.endpoint !== undefined || process.env.AWS_ENDPOINT_URL ? { forcePathStyle: true } : {}) });
    return this.s3Client;
  }

  /**
   * Closes the clients' sockets so a short-lived process can exit promptly, even with a request to
   * a hung endpoint under way: that request fails (with {@link CLIENTS_CLOSED_CODE}) instead of
   * being retried. Clients asked for afterwards are new ones, with new sockets.
   */
  public destroy(): void {
    for (const agents of this.agents.splice(0)) agents.close();
    this.sqsClient?.destroy();
    this.sqsLongPollClient?.destroy();
    this.sqsLongPollClient = undefined;
    this.eventBridgeClient?.destroy();
    this.dynamoDbClient?.destroy();
    this.snsClient?.destroy();
    this.snsClient = undefined;
    this.s3Client?.destroy();
    this.s3Client = undefined;
    this.sqsClient = undefined;
    this.eventBridgeClient = undefined;
    this.dynamoDbClient = undefined;
  }
}

/** The middleware stack operations that change what a call runs through. */
const STACK_CHANGES = ['add', 'addRelativeTo', 'use', 'remove', 'removeByTag'] as const;

/**
 * Turns the client's middleware cache off for good once anyone changes its middleware stack (a
 * test's tap, an instrumentation added late): from then on every call resolves the stack as the
 * SDK does by default, so the change is never missed. The SDK reads `cacheMiddleware` on every call.
 */
function keepingMiddlewareCurrent<C extends { readonly config: object; readonly middlewareStack: object }>(client: C): C {
  const stack = client.middlewareStack as Record<(typeof STACK_CHANGES)[number], (...args: unknown[]) => unknown>;
  for (const name of STACK_CHANGES) {
    const change = stack[name];
    if (typeof change !== 'function') continue;
    stack[name] = (...args: unknown[]) => {
      (client.config as { cacheMiddleware?: boolean }).cacheMiddleware = false;
      return change.apply(stack, args);
    };
  }
  return client;
}
