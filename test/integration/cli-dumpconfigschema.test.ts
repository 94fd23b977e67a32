/** `lightbus dumpconfigschema` prints a JSON Schema that editors (and ajv) can use on the configuration file. */
import Ajv from 'ajv';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../support/cli';

const SAMPLE = `
$schema: ./lightbus.schema.json
bus:
  name: shop
  logLevel: info
  schemaTtl: 60s
  resultTtl: 1h
  aws: { region: eu-west-1 }
apis:
  default:
    rpcTimeout: 5s
    eventFireTimeout: 5s
    validate: true
    strictValidation: false
    castValues: true
    transports: { event: eventbridge, rpc: sqs, result: dynamodb, schema: dynamodb }
  support.case:
    rpcTimeout: 30s
    validate: { incoming: false }
`;

describe('lightbus dumpconfigschema', () => {
  let schema: Record<string, unknown>;
  beforeAll(async () => {
    const result = await runCli(['dumpconfigschema']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    schema = JSON.parse(result.stdout) as Record<string, unknown>;
  });

  it('is a draft-07 JSON Schema that ajv compiles in strict mode', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const ajv = new Ajv({ strict: true, allErrors: true });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('accepts a sample configuration', () => {
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const ok = validate(parse(SAMPLE));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects a bad one: unknown transport, unknown key, duration without unit, bad API name', () => {
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const cases: Array<[string, unknown]> = [
      ['/apis/default/transports/event', { apis: { default: { transports: { event: 'kafka' } } } }],
      ['/bus', { bus: { nmae: 'shop' } }],
      ['/apis/default/rpcTimeout', { apis: { default: { rpcTimeout: 5 } } }],
      ['/apis/default/rpcTimeout', { apis: { default: { rpcTimeout: '5' } } }],
      ['/apis', { apis: { 'Bad-Name': {} } }],
      ['/bus/logLevel', { bus: { logLevel: 'loud' } }],
    ];
    for (const [where, config] of cases) {
      expect({ config, valid: validate(config) }).toEqual({ config, valid: false });
      expect((validate.errors ?? []).map((e) => e.instancePath)).toContain(where);
    }
  });

  it('--out writes the same schema to a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lightbus-schema-'));
    try {
      const out = join(dir, 'lightbus.schema.json');
      const result = await runCli(['dumpconfigschema', '--out', out]);
      expect(result.code).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(schema);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help describes the command', async () => {
    const result = await runCli(['dumpconfigschema', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: lightbus dumpconfigschema');
  });
});
