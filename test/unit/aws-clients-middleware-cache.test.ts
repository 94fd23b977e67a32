/**
 * lightbus's SDK clients resolve a command's middleware stack once per command class (the SDK's
 * `cacheMiddleware`), which saves a third of the SDK's CPU per request. The cache must never hide
 * a middleware added later (a test's tap, a late instrumentation), and calls with options (abort
 * signals) must not empty it for everyone else. Against a local HTTP server answering like DynamoDB
 * and SQS, through the real SDK.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { AwsClients } from '../../runtime/transport';

let server: Server;
let endpoint: string;
const savedEnvironment = { ...process.env };

/** DynamoDB's GetItem and SQS's ReceiveMessage / DeleteMessageBatch answers, by X-Amz-Target. */
function answer(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  request.on('end', () => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = target.endsWith('.GetItem')
      ? { Item: { pk: { S: 'k' } } }
      : target.endsWith('.DeleteMessageBatch')
        ? { Successful: [], Failed: [] }
        : { Messages: [] };
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(body));
  });
}

beforeAll(async () => {
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  process.env = savedEnvironment;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function newClients(): AwsClients {
  return new AwsClients({ endpoint, region: 'eu-west-1' });
}

const getItem = () => new GetItemCommand({ TableName: 't', Key: { pk: { S: 'k' } } });

afterEach(() => jest.restoreAllMocks());

describe('the SDK middleware cache of lightbus clients', () => {
  it('resolves the middleware stack once per command class', async () => {
    const clients = newClients();
    const resolve = jest.spyOn(GetItemCommand.prototype, 'resolveMiddleware');
    for (let i = 0; i < 3; i += 1) await clients.dynamoDb.send(getItem());
    expect(resolve).toHaveBeenCalledTimes(1);
    clients.destroy();
  });

  it('sees a middleware added after the first call, from the next call on', async () => {
    const clients = newClients();
    await clients.dynamoDb.send(getItem());
    const seen: string[] = [];
    clients.dynamoDb.middlewareStack.add(
      (next, context) => (args) => {
        seen.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'testTap' },
    );
    await clients.dynamoDb.send(getItem());
    await clients.dynamoDb.send(getItem());
    expect(seen).toEqual(['GetItemCommand', 'GetItemCommand']);
    clients.destroy();
  });

  it('stops caching on a client whose stack was changed, and only on that client', async () => {
    const clients = newClients();
    expect(clients.dynamoDb.config.cacheMiddleware).toBe(true);
    expect(clients.sqs.config.cacheMiddleware).toBe(true);
    clients.dynamoDb.middlewareStack.remove('nothing-by-this-name');
    expect(clients.dynamoDb.config.cacheMiddleware).toBe(false);
    expect(clients.sqs.config.cacheMiddleware).toBe(true);
    clients.destroy();
  });

  it('keeps long polls, which carry an abort signal, on a client of their own', async () => {
    const clients = newClients();
    expect(clients.sqsLongPolls).not.toBe(clients.sqs);
    expect(clients.sqsLongPolls.config.cacheMiddleware).toBe(false);
    const resolve = jest.spyOn(DeleteMessageBatchCommand.prototype, 'resolveMiddleware');
    const queueUrl = `${endpoint}/000000000000/q`;
    const deleteBatch = () => new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '0', ReceiptHandle: 'r' }] });
    await clients.sqs.send(deleteBatch());
    await clients.sqsLongPolls.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }), { abortSignal: AbortSignal.timeout(5_000) });
    await clients.sqs.send(deleteBatch());
    // The receive with options did not empty the sqs client's cache.
    expect(resolve).toHaveBeenCalledTimes(1);
    clients.destroy();
  });

  it('leaves the S3 client uncached (its middleware keeps per-bucket state in the shared context)', () => {
    const clients = newClients();
    expect(clients.s3.config.cacheMiddleware).toBe(false);
    clients.destroy();
  });
});
