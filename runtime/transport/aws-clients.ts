import { SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsSettings } from '../config';

/**
 * Enough sockets for a caller with many RPCs in flight and a worker with many messages in flight:
 * the SDK's default of 50 per client would queue requests behind one another.
 */
const MAX_SOCKETS = 256;

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
    this.sqsClient ??= new SQSClient(this.commonConfig());
    return this.sqsClient;
  }

  public get eventBridge(): EventBridgeClient {
    this.eventBridgeClient ??= new EventBridgeClient(this.commonConfig());
    return this.eventBridgeClient;
  }

  public get dynamoDb(): DynamoDBClient {
    this.dynamoDbClient ??= new DynamoDBClient(this.commonConfig());
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
