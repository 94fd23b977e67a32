/**
 * `lightbus dumpschema` → files → `lightbus run --schema`: development validates against the
 * contracts a (production) bus publishes. Both commands run as real processes (bin/lightbus.js).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bytes, lightbus, RemoteError, z } from '../../runtime';
import { apiSchema } from '../../runtime/schema';
import { uniqueName } from '../support/aws';
import { eventually, startWorker, stopAll, testBusOptions, track } from '../support/bus';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'lightbus.js');

const filesApi = lightbus.api('files', {
  rpcs: {
    put: lightbus.rpc({ parameters: { name: z.string().min(1), content: bytes(), modifiedAt: z.date() }, response: z.number() }),
  },
});

/** The probe API of the development worker: relays a call by name to an API it has no definition of. */
const probeApi = lightbus.api('probe', {
  rpcs: { relay: lightbus.rpc({ parameters: { name: z.string(), parameters: z.record(z.string(), z.unknown()) }, response: z.unknown() }) },
});

const PROBE_MODULE = `
const { lightbus, z } = require(${JSON.stringify(join(REPO, 'runtime'))});
const probeApi = lightbus.api('probe', {
  rpcs: { relay: lightbus.rpc({ parameters: { name: z.string(), parameters: z.record(z.string(), z.unknown()) }, response: z.unknown() }) },
});
exports.bus = lightbus.create({ serviceName: 'probe', apis: [probeApi], apiSettings: { default: { strictValidation: true } } });
exports.bus.register(probeApi, { relay: ({ name, parameters }) => exports.bus.call(name, parameters, { timeoutMs: 500 }) });
`;

const children: ChildProcess[] = [];

afterEach(async () => {
  await stopAll();
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
    ),
  );
});

function lightbusCli(args: string[], cwd: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, LIGHTBUS_LOG_FORMAT: 'json', LIGHTBUS_MODULE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

describe('lightbus dumpschema and run --schema', () => {
  it('dumps the schemas a running service publishes, and a development worker validates against the dump', async () => {
    // "Production": a files service publishing its schema on its bus.
    const production = track(lightbus.create(testBusOptions({ serviceName: 'files', apis: [filesApi] })));
    production.register(filesApi, { put: ({ content }) => content.length });
    await startWorker(production);

    // Dump it with no bus module: only what the bus publishes.
    const work = mkdtempSync(join(tmpdir(), 'lb-schema-cli-'));
    const dumpDir = join(work, 'schemas');
    const endpoint = process.env.AWS_ENDPOINT_URL as string;
    const dump = lightbusCli(['dumpschema', '--local', '--endpoint', endpoint, '--bus-name', production.settings.busName, '--out', dumpDir], work);
    expect(await dump.exited).toBe(0);
    expect(readdirSync(dumpDir)).toEqual(['files.json']);
    expect(JSON.parse(readFileSync(join(dumpDir, 'files.json'), 'utf8'))).toEqual(apiSchema(filesApi));
    expect(dump.output()).toMatch(/files \(bus, [0-9a-f]{16}\)/);

    // Also as one combined file on stdout.
    const stdout = lightbusCli(['dumpschema', '--local', '--endpoint', endpoint, '--bus-name', production.settings.busName], work);
    expect(await stdout.exited).toBe(0);
    expect(JSON.parse(stdout.output().slice(stdout.output().indexOf('{')))).toMatchObject({ lightbusSchemaDump: 1, apis: { files: apiSchema(filesApi) } });

    // "Development": a worker on another bus, where nobody publishes files' schema. With the dump
    // loaded it validates its calls to files against production's contract.
    const devBus = uniqueName('dev');
    writeFileSync(join(work, 'probe.js'), PROBE_MODULE);
    const dev = lightbusCli(['run', '--local', '--endpoint', endpoint, '--bus', 'probe.js', '--bus-name', devBus, '--schema', dumpDir], work);
    await eventually(() => dev.output().includes('Worker started'), 30_000, `the development worker to start; output:\n${dev.output()}`);
    expect(dev.output()).toContain(`files@${apiSchema(filesApi).version}`);

    const caller = track(lightbus.create(testBusOptions({ busName: devBus, apis: [probeApi] })));
    const invalid = await caller.probe.relay({ name: 'files.put', parameters: { name: '', content: 'AAE=', modifiedAt: 'later' } }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(RemoteError);
    expect((invalid as RemoteError).remoteName).toBe('ValidationError');
    expect((invalid as RemoteError).remoteMessage).toMatch(/files\.put: .*\$\.name: must NOT have fewer than 1 characters; \$\.modifiedAt: expected a string in format "date-time"/);
    const unknown = await caller.probe.relay({ name: 'files.delete', parameters: {} }).catch((e: unknown) => e);
    expect((unknown as RemoteError).remoteName).toBe('UnknownMemberError');
    // An API in neither the dump nor the bus is refused (the probe's bus is strict).
    const missing = await caller.probe.relay({ name: 'billing.charge', parameters: {} }).catch((e: unknown) => e);
    expect((missing as RemoteError).remoteName).toBe('UnknownApiError');

    dev.child.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
  });

  it('dumpschema writes a bus module\'s own definitions without reading the bus (--no-remote)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'lb-schema-cli-'));
    writeFileSync(join(work, 'bus.js'), PROBE_MODULE);
    const out = join(work, 'all.json');
    const dump = lightbusCli(['dumpschema', '--no-remote', '--out', out], work);
    expect(await dump.exited).toBe(0);
    const written = JSON.parse(readFileSync(out, 'utf8')) as { apis: Record<string, unknown> };
    expect(Object.keys(written.apis)).toEqual(['probe']);
    expect(written.apis.probe).toEqual(apiSchema(probeApi));
  });
});
