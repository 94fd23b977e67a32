import type { SQSClient } from '@aws-sdk/client-sqs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRequire } from 'node:module';
import type { AwsSettings } from '../config';

/**
 * Enough sockets for a caller with many RPCs in flight and a worker with many messages in flight:
 * the SDK's default of 50 per client would queue requests behind one another.
 */
const MAX_SOCKETS = 256;

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
 * The SDK clients, created on first use. Lambda init stays cheap (a handler that never fires
 * never builds an EventBridge client), and nothing touches the network at import time.
 */
export class AwsClients {
  private sqsClient: SQSClient | undefined;
  private eventBridgeClient: EventBridgeClient | undefined;
  private dynamoDbClient: DynamoDBClient | undefined;

  public constructor(private readonly settings: AwsSettings = {}) {}

  private commonConfig() {
    return {
      ...(this.settings.region !== undefined ? { region: this.settings.region } : {}),
      ...(this.settings.endpoint !== undefined ? { endpoint: this.settings.endpoint } : {}),
      // The SDK's standard retry mode (exponential backoff with jitter, retry quota) handles
      // throttling and transient errors; lightbus adds no retry loop of its own around calls.
      retryMode: 'standard',
      maxAttempts: 4,
      requestHandler: {
        httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
        httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
      },
    };
  }

  public get sqs(): SQSClient {
    this.sqsClient ??= new (sqsClientClass())(this.commonConfig());
    return this.sqsClient;
  }

  public get eventBridge(): EventBridgeClient {
    this.eventBridgeClient ??= new (eventBridgeClientClass())(this.commonConfig());
    return this.eventBridgeClient;
  }

  public get dynamoDb(): DynamoDBClient {
    this.dynamoDbClient ??= new (dynamoDbClientClass())(this.commonConfig());
    return this.dynamoDbClient;
  }

  /** Closes the clients' sockets so a short-lived process can exit promptly. */
  public destroy(): void {
    this.sqsClient?.destroy();
    this.eventBridgeClient?.destroy();
    this.dynamoDbClient?.destroy();
    this.sqsClient = undefined;
    this.eventBridgeClient = undefined;
    this.dynamoDbClient = undefined;
  }
}
