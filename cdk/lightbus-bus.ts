import { ArnFormat, type Duration, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { API_NAME_PATTERN } from '../runtime/api';
import { clientEnvironmentOf } from '../runtime/config';
import { ConstructValidationError } from '../runtime/errors/deployment';
import { eventSource, ResultAttributes } from '../runtime/messages';
import { SCHEMA_KEY_PREFIX, schemaKey } from '../runtime/schema';
import { assertResourceNamePart, eventBusName, resultsTableName, rpcQueueName } from '../runtime/topology';
import { createBusArchive } from './bus-archive';
import { isEnvironmentTarget } from './environment-target';

/** A Lightbus bus: its EventBridge bus and results table, defined here or imported by name. */
export interface ILightbusBus {
  /** The bus name every resource name derives from. */
  readonly busName: string;
  readonly eventBus: events.IEventBus;
  /** RPC results (and API schemas, under `pk = "schema#<api>"`). */
  readonly resultsTable: dynamodb.ITable;
  /** The environment a bus client needs to find this bus. */
  readonly clientEnvironment: Readonly<Record<string, string>>;
  /**
   * Lets `grantee` call the procedures of `api`: send to its request queue and read results.
   * If `grantee` is a Lambda function, it also gets the {@link clientEnvironment}.
   */
  grantCall(grantee: iam.IGrantable, api: string): iam.Grant;
  /** Lets `grantee` fire the events of `api` (PutEvents, limited to the API's event source). */
  grantFire(grantee: iam.IGrantable, api: string): iam.Grant;
  /** Lets `grantee` read RPC results (the caller's half of a call). */
  grantReadResults(grantee: iam.IGrantable): iam.Grant;
  /**
   * Lets `grantee` write RPC results, claims and task records (what a worker does): PutItem and
   * UpdateItem on any key of the results table except the API schemas' (`schema#*`); with
   * `batchedClaims`, also PartiQLInsert (a worker that serves RPCs claims a batch in one call).
   */
  grantWriteResults(grantee: iam.IGrantable, options?: WriteResultsGrantOptions): iam.Grant;
  /**
   * Lets `grantee` publish the schemas of `apis`: PutItem (and, with `withdraw`, DeleteItem) on the
   * keys `schema#<api>` of those APIs only.
   */
  grantPublishSchemas(grantee: iam.IGrantable, apis: readonly string[], options?: PublishSchemasGrantOptions): iam.Grant;
}

/** Options of {@link ILightbusBus.grantPublishSchemas}. */
export interface PublishSchemasGrantOptions {
  /**
   * Also allow DeleteItem on those keys, for a deployment that deletes its schemas when its stack
   * is removed.
   * @default false - PutItem only (a running worker's schemas expire instead)
   */
  readonly withdraw?: boolean;
}

/** Options of {@link ILightbusBus.grantWriteResults}. */
export interface WriteResultsGrantOptions {
  /**
   * Also allow `dynamodb:PartiQLInsert`, on the same keys: a worker that serves RPCs claims the
   * calls of one received batch with one BatchExecuteStatement of INSERTs. Only RPC workers claim
   * calls; without it, a worker claims with one PutItem per call (after one warning).
   * @default false
   */
  readonly batchedClaims?: boolean;
}

/** Properties of {@link LightbusBus}. */
export interface LightbusBusProps {
  /**
   * The bus name: the EventBridge bus, the results table and every service's queues are named
   * after it, which is how clients find them. Letters, digits, `-` and `_`.
   */
  readonly busName: string;
  /**
   * What happens to the results table (which also holds the API schemas) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Point-in-time recovery for the results table (it holds the API schemas).
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Keep the bus's history: an EventBridge archive `<bus>-history` of every lightbus event, which
   * `lightbus replay` replays into one listener and `lightbus inspect --since` reads.
   * @default true
   */
  readonly archive?: boolean;
  /**
   * How long the archive keeps events: whole days, at least 1.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

const RESULT_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];
const RESULT_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];
/**
 * PartiQLInsert: an RPC worker claims the calls of one received batch with one BatchExecuteStatement
 * of INSERTs. The Service Authorization Reference lists `dynamodb:LeadingKeys` for it as for
 * PutItem, so the same key condition keeps it off the schema items; the `Null` condition fails
 * closed should a request ever reach IAM without that key (where `ForAllValues` would be vacuously
 * true). A refused INSERT costs only batching: the worker claims that call with a PutItem.
 */
const BATCHED_CLAIM_ACTIONS = ['dynamodb:PartiQLInsert'];

/** Every key except the API schemas'. */
const NOT_SCHEMA_KEYS = { 'dynamodb:LeadingKeys': [`${SCHEMA_KEY_PREFIX}*`] };

abstract class LightbusBusBase extends Resource implements ILightbusBus {
  public abstract readonly busName: string;
  public abstract readonly eventBus: events.IEventBus;
  public abstract readonly resultsTable: dynamodb.ITable;

  public get clientEnvironment(): Readonly<Record<string, string>> {
    return clientEnvironmentOf({ busName: this.busName, eventBusName: this.eventBus.eventBusName, resultsTable: this.resultsTable.tableName });
  }

  public grantCall(grantee: iam.IGrantable, api: string): iam.Grant {
    assertApiName(this.node.path, api);
    this.grantReadResults(grantee);
    this.addClientEnvironment(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
      resourceArns: [this.rpcQueueArn(api)],
    });
  }

  public grantFire(grantee: iam.IGrantable, api: string): iam.Grant {
    assertApiName(this.node.path, api);
    this.addClientEnvironment(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [this.eventBus.eventBusArn],
      conditions: { StringEquals: { 'events:source': [eventSource(api)] } },
    });
  }

  public grantReadResults(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: RESULT_READ_ACTIONS, resourceArns: [this.resultsTable.tableArn] });
  }

  public grantWriteResults(grantee: iam.IGrantable, options: WriteResultsGrantOptions = {}): iam.Grant {
    const writes = iam.Grant.addToPrincipal({
      grantee,
      actions: RESULT_WRITE_ACTIONS,
      resourceArns: [this.resultsTable.tableArn],
      // Schemas are the bus's contracts: only grantPublishSchemas may write them. (PutItem and
      // UpdateItem always carry their key, so ForAllValues is never vacuously true here.)
      conditions: { 'ForAllValues:StringNotLike': NOT_SCHEMA_KEYS },
    });
    if (!options.batchedClaims) return writes;
    return writes.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: BATCHED_CLAIM_ACTIONS,
        resourceArns: [this.resultsTable.tableArn],
        conditions: { 'ForAllValues:StringNotLike': NOT_SCHEMA_KEYS, Null: { 'dynamodb:LeadingKeys': 'false' } },
      }),
    );
  }

  public grantPublishSchemas(grantee: iam.IGrantable, apis: readonly string[], options: PublishSchemasGrantOptions = {}): iam.Grant {
    if (apis.length === 0) {
      throw new ConstructValidationError(this.node.path, 'grantPublishSchemas: give at least one API name; got none.');
    }
    for (const api of apis) assertApiName(this.node.path, api);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: options.withdraw ? ['dynamodb:PutItem', 'dynamodb:DeleteItem'] : ['dynamodb:PutItem'],
      resourceArns: [this.resultsTable.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...new Set(apis)].sort().map(schemaKey) } },
    });
  }

  /** The ARN of an API's request queue, from the naming convention (no cross-stack reference). */
  public rpcQueueArn(api: string): string {
    return Stack.of(this).formatArn({ service: 'sqs', resource: rpcQueueName(this.busName, api), arnFormat: ArnFormat.NO_RESOURCE_NAME });
  }

  private addClientEnvironment(grantee: iam.IGrantable): void {
    if (!isEnvironmentTarget(grantee)) return;
    for (const [key, value] of Object.entries(this.clientEnvironment)) grantee.addEnvironment(key, value);
  }
}

/**
 * A Lightbus bus, once per bus and account/region: the EventBridge bus that carries events, and
 * the results table (on-demand, TTL on `expiresAt`, encrypted) that carries RPC results and API
 * schemas. Services (`LightbusService`) and callers in any stack or app use it by name.
 *
 * @example
 * const bus = new LightbusBus(this, 'Bus', { busName: 'shop' });
 * // in another stack or app:
 * const bus = LightbusBus.fromBusName(this, 'Bus', 'shop');
 * bus.grantCall(myFunction, 'auth');
 */
export class LightbusBus extends LightbusBusBase {
  /** Imports a bus defined elsewhere (another stack or app), from its name alone. */
  public static fromBusName(scope: Construct, id: string, busName: string): ILightbusBus {
    assertBusName(`${scope.node.path}/${id}`, busName);
    class Imported extends LightbusBusBase {
      public readonly busName = busName;
      public readonly eventBus = events.EventBus.fromEventBusName(this, 'EventBus', eventBusName(busName));
      public readonly resultsTable = dynamodb.Table.fromTableName(this, 'ResultsTable', resultsTableName(busName));
    }
    return new Imported(scope, id);
  }

  public readonly busName: string;
  public readonly eventBus: events.EventBus;
  public readonly resultsTable: dynamodb.Table;
  /** The bus's history (see {@link LightbusBusProps.archive}); undefined when `archive` is false. */
  public readonly archive: events.Archive | undefined;

  public constructor(scope: Construct, id: string, props: LightbusBusProps) {
    super(scope, id);
    assertBusName(this.node.path, props.busName);
    this.busName = props.busName;
    this.eventBus = new events.EventBus(this, 'EventBus', { eventBusName: eventBusName(props.busName) });
    this.resultsTable = new dynamodb.Table(this, 'ResultsTable', {
      tableName: resultsTableName(props.busName),
      partitionKey: { name: ResultAttributes.PartitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: ResultAttributes.ExpiresAt,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.archive = createBusArchive(this, this.eventBus, props.busName, props);
  }
}

function assertBusName(constructPath: string, busName: string): void {
  if (Token.isUnresolved(busName)) {
    throw new ConstructValidationError(
      constructPath,
      'busName must be a literal string, not a token: resource names and client lookups derive from it at synth time.',
    );
  }
  ConstructValidationError.at(constructPath, () => assertResourceNamePart('bus name', busName));
}

function assertApiName(constructPath: string, api: string): void {
  if (!API_NAME_PATTERN.test(api)) {
    throw new ConstructValidationError(constructPath, `Invalid API name "${api}": expected a dotted name such as "auth" or "support.case".`, { api });
  }
}
