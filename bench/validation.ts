/**
 * Micro-benchmark: what validating one message costs on the hot path, per message, in µs/op.
 * Compares zod parsing (local definitions), ajv with a compiled (cached) validator (published
 * JSON Schemas), casting, and no validation. Ratios, not assertions: run with
 *
 *   npx tsx bench/validation.ts [iterations]
 *
 * Pure CPU, no AWS: it measures only the validation step, not the message's round trip.
 */
import { lightbus, z } from '../runtime';
import { apiSchema, bytes, castIncoming, jsonSchemaValidators, toWireValue, type ValidationContext } from '../runtime/schema';

const api = lightbus.api('bench', {
  rpcs: {
    small: lightbus.rpc({ parameters: { username: z.string().min(1), password: z.string() }, response: z.boolean() }),
    large: lightbus.rpc({
      parameters: {
        id: z.uuid(),
        email: z.email(),
        name: z.string().min(1).max(200),
        age: z.number().int().min(0).optional(),
        roles: z.array(z.enum(['admin', 'user', 'guest'])).default(['user']),
        address: z.object({ street: z.string(), city: z.string(), postcode: z.string().regex(/^\d{5}$/) }),
        tags: z.record(z.string(), z.string()),
        createdAt: z.date(),
        avatar: bytes().optional(),
        items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive(), price: z.number() })),
      },
      response: z.object({ ok: z.boolean() }),
    }),
  },
});

const small = { username: 'ada', password: 'correct horse battery staple' };
const large = {
  id: '0b4c3c1e-7c55-4a53-9d55-6f3f1b1c2d3e',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  age: 36,
  roles: ['admin', 'user'],
  address: { street: '12 St James Square', city: 'London', postcode: '12345' },
  tags: { team: 'engines', floor: '2' },
  createdAt: new Date('1815-12-10T00:00:00Z'),
  avatar: Buffer.alloc(256, 7),
  items: Array.from({ length: 10 }, (_, i) => ({ sku: `sku-${i}`, quantity: i + 1, price: 9.99 })),
};

const schema = apiSchema(api);
const iterations = Number(process.argv[2] ?? 100_000);

function measure(fn: () => unknown): number {
  for (let i = 0; i < Math.min(10_000, iterations); i += 1) fn(); // warm up (JIT, caches)
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) fn();
  const us = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  return us;
}

const rows: { message: string; step: string; usPerOp: number }[] = [];
for (const [member, value] of [
  ['small', small],
  ['large', large],
] as const) {
  const definition = api.rpcs[member];
  const wire = JSON.parse(JSON.stringify(toWireValue(value))) as Record<string, unknown>;
  const context: ValidationContext = { api: 'bench', member, direction: 'incoming', part: 'parameters', what: 'parameters' };
  // Sanity: every path accepts the message.
  definition.parameters.parse(castIncoming(definition.parameters, wire));
  jsonSchemaValidators.check(schema, 'rpc', member, wire, context);
  const measured: [string, () => unknown][] = [
    ['none (pass-through)', () => wire],
    ['ajv compiled (cached)', () => jsonSchemaValidators.check(schema, 'rpc', member, wire, context)],
    ['zod parse', () => definition.parameters.parse(value)],
    ['cast only', () => castIncoming(definition.parameters, wire)],
    ['cast + zod parse (worker path)', () => definition.parameters.parse(castIncoming(definition.parameters, wire))],
    ['toWireValue (outgoing)', () => toWireValue(value)],
    ['JSON.stringify (for scale)', () => JSON.stringify(wire)],
  ];
  for (const [step, fn] of measured) rows.push({ message: member, step, usPerOp: measure(fn) });
}

const baseline = new Map(rows.filter((r) => r.step.startsWith('JSON.stringify')).map((r) => [r.message, r.usPerOp]));
console.log(`validation micro-benchmark: ${iterations} iterations per row, node ${process.version}\n`);
console.log(`${'message'.padEnd(8)} ${'step'.padEnd(32)} ${'µs/op'.padStart(9)} ${'× JSON.stringify'.padStart(17)}`);
for (const row of rows) {
  const ratio = row.usPerOp / (baseline.get(row.message) ?? 1);
  console.log(`${row.message.padEnd(8)} ${row.step.padEnd(32)} ${row.usPerOp.toFixed(3).padStart(9)} ${ratio.toFixed(2).padStart(17)}`);
}
