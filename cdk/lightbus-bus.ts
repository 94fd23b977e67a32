import { ArnFormat, type Duration, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { API_NAME_PATTERN } from '../runtime/api';
import { clientEnvironmentOf } from '../runtime/config';
import { ConstructValidationError } from '../runtime/errors/deployment';
import { eventSource, ResultAttributes } from '../runtime/messages';
import { assertResourceNamePart, eventBusName, KeyPatterns, ownerKey, resultsTableName, rpcQueueName, schemaKey } from '../runtime/topology';
import { assignCallerScope } from './caller-scope';
import { createBusArchive } from './bus-archive';
import { createPayloadBucket, grantPayloadKeys, payloadBucketNameIn } from './payload-bucket';
import { PayloadKind, payloadKeyPattern } from '../runtime/payloads';
import { isEnvironmentTarget } from './environment-target';

/** A Lightbus bus: its EventBridge bus and results table, defined here or imported by name. */
export interface ILightbusBus {
  /** The bus name every resource name derives from. */
  readonly busName: string;
  readonly eventBus: events.IEventBus;
  /** RPC results, task run records and API schemas (key kinds: docs/wire-format.md, "Results table keys"). */
  readonly resultsTable: dynamodb.ITable;
  /** Payloads too large for their messages, under `<api>/<kind>/<id>` (docs/wire-format.md, "Large payloads"). */
  readonly payloadBucket: s3.IBucket;
  /** The environment a bus client needs to find this bus. */
  readonly clientEnvironment: Readonly<Record<string, string>>;
  /**
   * Lets `grantee` call the procedures of `api`: send to its request queue and read the results of
   * its own calls (those of its caller scope, `<scope>.*`; see {@link CallGrantOptions}). If
   * `grantee` is a Lambda function, it also gets the {@link clientEnvironment} and
   * `LIGHTBUS_CALLER_SCOPE`.
   */
  grantCall(grantee: iam.IGrantable, api: string, options?: CallGrantOptions): iam.Grant;
  /** Lets `grantee` fire the events of `api` (PutEvents, limited to the API's event source). */
  grantFire(grantee: iam.IGrantable, api: string): iam.Grant;
  /**
   * Lets `grantee` read the results of its own calls (the caller's half of a call): GetItem and
   * BatchGetItem on the keys `<callerScope>.*`, and on the API schemas (`schema#*`, published
   * contracts). Not other callers' results, not task records.
   */
  grantReadResults(grantee: iam.IGrantable, options: ReadResultsGrantOptions): iam.Grant;
  /**
   * Lets `grantee` write RPC claims and results (what an RPC worker does): PutItem and UpdateItem
   * on call-result keys only (keys without `#`: never a task record, schema or dedupe record);
   * with `batchedClaims`, also PartiQLInsert (a worker that serves RPCs claims a batch in one call),
   * with `batchedResults`, also PartiQLUpdate (it writes their results in one call).
   */
  grantWriteResults(grantee: iam.IGrantable, options?: WriteResultsGrantOptions): iam.Grant;
  /**
   * Lets `grantee` run the scheduled tasks of `service`: UpdateItem and GetItem on that service's
   * task run records (`task#<service>#*`) only.
   */
  grantRunTasks(grantee: iam.IGrantable, service: string): iam.Grant;
  /**
   * Lets `grantee` publish the schemas of `apis`: PutItem (and, with `withdraw`, DeleteItem) on the
   * keys `schema#<api>` of those APIs only.
   */
  grantPublishSchemas(grantee: iam.IGrantable, apis: readonly string[], options?: PublishSchemasGrantOptions): iam.Grant;
  /**
   * Lets `grantee` put and get payloads under the given key patterns (`<api>/<kind>/<uuid>`, e.g. a
   * topology's `payloadBucket.access`) and nothing else of the payload bucket.
   */
  grantPayloads(grantee: iam.IGrantable, access: { readonly put?: readonly string[]; readonly get?: readonly string[] }): void;
}

/** Options of {@link ILightbusBus.grantCall}. */
export interface CallGrantOptions {
  /**
   * The caller scope of the grantee's bus client: its call ids are `<scope>.<uuid>`, and it may
   * read only results under `<scope>.`. Letters, digits, `_` and `-`, at most 64. A Lambda function
   * gets it as LIGHTBUS_CALLER_SCOPE; any other grantee must be given one here, and its process
   * run with the same (`lightbus.create({ callerScope })` or LIGHTBUS_CALLER_SCOPE). Every grant to
   * one grantee must use the same scope.
   * @default - the scope the grantee already has; else, for a function, one derived from its construct id and path
   */
  readonly callerScope?: string;
}

/** Options of {@link ILightbusBus.grantReadResults}. */
export interface ReadResultsGrantOptions {
  /** The caller scope whose results the grantee may read (`<scope>.*`). */
  readonly callerScope: string;
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
  /**
   * Also allow `dynamodb:PartiQLUpdate`, on the same keys: a worker that serves RPCs writes the
   * results of the calls it ran together with one BatchExecuteStatement of UPDATEs (each with its
   * UpdateItem's condition). Without it, a worker writes each result with one UpdateItem (after one
   * warning).
   * @default false
   */
  readonly batchedResults?: boolean;
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
  /**
   * A stream of the results table's new images (claims and results), which `lightbus dashboard`
   * reads to show RPC calls as they happen, with no call added to the RPC path. A stream costs
   * nothing until it is read.
   * @default true
   */
  readonly callStream?: boolean;
  /**
   * How long the payload bucket keeps a payload (parameters, results or events too large for their
   * messages) before its lifecycle rule deletes it: whole days, at least 1. A payload is only needed
   * while its message is in flight; keep it longer than a dead-lettered message may wait for a redrive.
   * @default Duration.days(1)
   */
  readonly payloadExpiration?: Duration;
}

const RESULT_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];
const RESULT_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** A task run is claimed and finished with UpdateItem; GetItem lets the service read its own records. */
const TASK_RUN_ACTIONS = ['dynamodb:UpdateItem', 'dynamodb:GetItem'];
/**
 * PartiQLInsert: an RPC worker claims the calls of one received batch with one BatchExecuteStatement
 * of INSERTs; PartiQLUpdate: it writes their results with one BatchExecuteStatement of UPDATEs. The
 * Service Authorization Reference lists `dynamodb:LeadingKeys` for both as for PutItem and
 * UpdateItem, so the same key condition keeps them on call-result keys. A refused statement costs
 * only batching: the worker writes that claim with a PutItem, that result with an UpdateItem.
 */
const BATCHED_CLAIM_ACTIONS = ['dynamodb:PartiQLInsert'];
const BATCHED_RESULT_ACTIONS = ['dynamodb:PartiQLUpdate'];

/**
 * `ForAllValues` is vacuously true for a request without `dynamodb:LeadingKeys`. GetItem,
 * BatchGetItem, PutItem and UpdateItem always carry their keys on AWS, so their grants need no
 * more; the PartiQL grant adds `Null: false` so that it fails closed should a statement ever
 * reach IAM without the key. (Not on the item actions: MiniStack 1.5.33 with AUTH=true puts no
 * `dynamodb:LeadingKeys` in the request context but does evaluate `Null`, so it would refuse every
 * read and write of the deployed roles and the e2e suite could not run.)
 */
const KEYS_PRESENT = { Null: { 'dynamodb:LeadingKeys': 'false' } };

/** Call-result keys only: no key with `#` (every other kind is `<kind>#...`; runtime/topology/table-keys.ts). */
const CALL_RESULT_KEYS_ONLY = { 'ForAllValues:StringNotLike': { 'dynamodb:LeadingKeys': [KeyPatterns.anyKindPrefixed] } };

abstract class LightbusBusBase extends Resource implements ILightbusBus {
  public abstract readonly busName: string;
  public abstract readonly eventBus: events.IEventBus;
  public abstract readonly resultsTable: dynamodb.ITable;
  public abstract readonly payloadBucket: s3.IBucket;

  public get clientEnvironment(): Readonly<Record<string, string>> {
    return clientEnvironmentOf({
      busName: this.busName,
      eventBusName: this.eventBus.eventBusName,
      resultsTable: this.resultsTable.tableName,
      payloadBucket: this.payloadBucket.bucketName,
    });
  }

  public grantPayloads(grantee: iam.IGrantable, access: { readonly put?: readonly string[]; readonly get?: readonly string[] }): void {
    grantPayloadKeys(this.payloadBucket, grantee, access);
  }

  public grantCall(grantee: iam.IGrantable, api: string, options: CallGrantOptions = {}): iam.Grant {
    assertApiName(this.node.path, api);
    const callerScope = assignCallerScope(this.node.path, grantee, { ...(options.callerScope !== undefined ? { callerScope: options.callerScope } : {}) });
    this.grantReadResults(grantee, { callerScope });
    // That API's large parameters and results only (`<api>/call/<uuid>`, `<api>/result/<uuid>`); a result's key is
    // named only in its results item, which only this caller scope may read.
    this.grantPayloads(grantee, { put: [payloadKeyPattern(api, PayloadKind.Call)], get: [payloadKeyPattern(api, PayloadKind.Result)] });
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
    this.grantPayloads(grantee, { put: [payloadKeyPattern(api, PayloadKind.Event)] });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [this.eventBus.eventBusArn],
      conditions: { StringEquals: { 'events:source': [eventSource(api)] } },
    });
  }

  public grantReadResults(grantee: iam.IGrantable, options: ReadResultsGrantOptions): iam.Grant {
    const callerScope = assignCallerScope(this.node.path, grantee, { callerScope: options.callerScope, setEnvironment: false });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: RESULT_READ_ACTIONS,
      resourceArns: [this.resultsTable.tableArn],
      // Its own calls' results, and the published schemas; never another caller's results or a task record.
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [KeyPatterns.callResultsOf(callerScope), KeyPatterns.anySchema] },
      },
    });
  }

  public grantWriteResults(grantee: iam.IGrantable, options: WriteResultsGrantOptions = {}): iam.Grant {
    // Call results only: a caller's message can name no other kind of key, and neither can this role.
    const writes = iam.Grant.addToPrincipal({ grantee, actions: RESULT_WRITE_ACTIONS, resourceArns: [this.resultsTable.tableArn], conditions: CALL_RESULT_KEYS_ONLY });
    const batched = [...(options.batchedClaims ? BATCHED_CLAIM_ACTIONS : []), ...(options.batchedResults ? BATCHED_RESULT_ACTIONS : [])];
    if (batched.length === 0) return writes;
    return writes.combine(
      iam.Grant.addToPrincipal({ grantee, actions: batched, resourceArns: [this.resultsTable.tableArn], conditions: { ...CALL_RESULT_KEYS_ONLY, ...KEYS_PRESENT } }),
    );
  }

  public grantRunTasks(grantee: iam.IGrantable, service: string): iam.Grant {
    ConstructValidationError.at(this.node.path, () => assertResourceNamePart('service name', service));
    return iam.Grant.addToPrincipal({
      grantee,
      actions: TASK_RUN_ACTIONS,
      resourceArns: [this.resultsTable.tableArn],
      // Its own service's run records only: no other service's, and no call result or schema.
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [KeyPatterns.taskRunsOf(service)] } },
    });
  }

  public grantPublishSchemas(grantee: iam.IGrantable, apis: readonly string[], options: PublishSchemasGrantOptions = {}): iam.Grant {
    if (apis.length === 0) {
      throw new ConstructValidationError(this.node.path, 'grantPublishSchemas: give at least one API name; got none.');
    }
    for (const api of apis) assertApiName(this.node.path, api);
    const sorted = [...new Set(apis)].sort();
    const schemas = iam.Grant.addToPrincipal({
      grantee,
      actions: options.withdraw ? ['dynamodb:PutItem', 'dynamodb:DeleteItem'] : ['dynamodb:PutItem'],
      resourceArns: [this.resultsTable.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': sorted.map(schemaKey) } },
    });
    // A schema publisher is its APIs' owner: it claims their owner records (runtime/ownership) at
    // worker start and at deploy time with a conditional PutItem. Never deleted, so no DeleteItem.
    const owners = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem'],
      resourceArns: [this.resultsTable.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': sorted.map(ownerKey) } },
    });
    return schemas.combine(owners);
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
      public readonly payloadBucket = s3.Bucket.fromBucketName(this, 'PayloadBucket', payloadBucketNameIn(this, busName));
    }
    return new Imported(scope, id);
  }

  public readonly busName: string;
  // `& I…`: aws-cdk-lib's EventBus/Table are not assignable to their own interfaces under a user's
  // exactOptionalPropertyTypes (string | undefined vs optional string); the intersection keeps both.
  public readonly eventBus: events.EventBus & events.IEventBus;
  public readonly resultsTable: dynamodb.Table & dynamodb.ITable;
  public readonly payloadBucket: s3.Bucket & s3.IBucket;
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
      ...((props.callStream ?? true) ? { stream: dynamodb.StreamViewType.NEW_IMAGE } : {}),
    });
    this.archive = createBusArchive(this, this.eventBus, props.busName, props);
    this.payloadBucket = createPayloadBucket(this, props.busName, props);
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
