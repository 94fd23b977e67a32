/**
 * One owning service per API: `lightbus run` claims the owner record `owner#<api>` in the results
 * table before it polls, and refuses to start a second service that serves the same API.
 */
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ApiOwnershipError, claimApiOwnership, claimOwnershipAtDeploy, ownerKey } from '../../runtime/ownership';
import { resultsTableName } from '../../runtime/topology';
import { testEnvironment, uniqueName } from '../support/aws';
import { killAllCli, REPO_ROOT, runCli, startCli } from '../support/cli';

const MATH_SERVER = join(REPO_ROOT, 'test', 'fixtures', 'math-server-bus.ts');
const env = testEnvironment();
const dynamoDb = new DynamoDBClient({ endpoint: env.endpoint, region: env.region, credentials: env.credentials });

afterEach(killAllCli);
afterAll(() => dynamoDb.destroy());

async function ownerOf(busName: string, api: string): Promise<string | undefined> {
  const out = await dynamoDb.send(new GetItemCommand({ TableName: resultsTableName(busName), Key: { pk: { S: ownerKey(api) } }, ConsistentRead: true }));
  return out.Item?.owner?.S;
}

describe('API ownership at worker start', () => {
  it('refuses a second service that serves an owned API, naming both; --take-ownership moves it', async () => {
    const busName = uniqueName('owner');
    const run = (service: string, ...extra: string[]) => ['run', '--local', '--bus', MATH_SERVER, '--bus-name', busName, '--service-name', service, ...extra];
    const alpha = startCli(run('alpha'));
    await alpha.waitForLine('stderr', (line) => line.includes('"Worker started"'));
    expect(await ownerOf(busName, 'math')).toBe('alpha');

    const refused = await runCli(run('beta'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ApiOwnershipError: API "math" is owned by service "alpha"; service "beta" may not serve it too');
    expect(refused.stderr).not.toContain('Worker started');
    expect(await ownerOf(busName, 'math')).toBe('alpha');

    // The owner itself restarts freely (a second process of the same service too).
    const alphaAgain = startCli(run('alpha'));
    await alphaAgain.waitForLine('stderr', (line) => line.includes('"Worker started"'));

    const beta = startCli(run('beta', '--take-ownership'));
    const took = await beta.waitForLine('stderr', (line) => line.includes('Took over the ownership of an API'));
    expect(JSON.parse(took)).toMatchObject({ api: 'math', service: 'beta', previousOwner: 'alpha' });
    await beta.waitForLine('stderr', (line) => line.includes('"Worker started"'));
    expect(await ownerOf(busName, 'math')).toBe('beta');
    const refusedNow = await runCli(run('alpha'));
    expect(refusedNow.stderr).toContain('API "math" is owned by service "beta"; service "alpha" may not serve it too');
  });

  it('claimApiOwnership: first claim, confirmation by the owner, refusal of another, explicit take-over', async () => {
    const busName = uniqueName('ownerapi');
    await dynamoDb.send(
      new CreateTableCommand({
        TableName: resultsTableName(busName),
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const claim = (service: string, takeOwnership = false) =>
      claimApiOwnership(dynamoDb, { tableName: resultsTableName(busName), api: 'billing', service, claimedBy: `deploy:${service}`, takeOwnership });
    await expect(claim('one')).resolves.toEqual({ status: 'claimed' });
    await expect(claim('one')).resolves.toEqual({ status: 'confirmed' });
    const refused = await claim('two').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiOwnershipError);
    expect(refused).toMatchObject({ api: 'billing', owner: 'one', claimant: 'two' });
    await expect(claim('two', true)).resolves.toEqual({ status: 'taken', previousOwner: 'one' });
    expect(await ownerOf(busName, 'billing')).toBe('two');

    // The deploy-time form: every API of a deployment, as deploy:<service>.
    const deployed = await claimOwnershipAtDeploy(dynamoDb, { tableName: resultsTableName(busName), service: 'two', apis: ['shipping', 'billing'] });
    expect(Object.fromEntries(deployed)).toEqual({ billing: { status: 'confirmed' }, shipping: { status: 'claimed' } });
    await expect(claimOwnershipAtDeploy(dynamoDb, { tableName: resultsTableName(busName), service: 'three', apis: ['shipping'] })).rejects.toThrow(
      'API "shipping" is owned by service "two"; service "three" may not serve it too',
    );
  });
});
