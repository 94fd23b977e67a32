import { z } from '../../runtime';
import { bytes, castIncoming, needsCasting, toWireValue } from '../../runtime/schema';

/** What a value looks like after travelling: deformed to JSON, serialised, parsed, cast back. */
function roundTrip<S extends z.ZodType>(schema: S, value: z.input<S>): z.output<S> {
  const wire: unknown = JSON.parse(JSON.stringify(toWireValue(value)) ?? 'null');
  return schema.parse(castIncoming(schema, wire));
}

describe('casting round trips (outgoing → JSON → incoming)', () => {
  it('Date ↔ ISO 8601', () => {
    const at = new Date('2024-02-29T12:34:56.789Z');
    expect(toWireValue(at)).toBe('2024-02-29T12:34:56.789Z');
    const back = roundTrip(z.date(), at);
    expect(back).toBeInstanceOf(Date);
    expect(back.getTime()).toBe(at.getTime());
  });

  it('bytes ↔ base64 (bytes(), z.instanceof(Buffer), z.instanceof(Uint8Array))', () => {
    const data = Buffer.from([0, 1, 2, 250, 255]);
    expect(toWireValue(data)).toBe('AAEC+v8=');
    for (const schema of [bytes(), z.instanceof(Buffer), z.instanceof(Uint8Array)]) {
      const back = roundTrip(schema as z.ZodType<Uint8Array>, data);
      expect(Buffer.isBuffer(back)).toBe(true);
      expect(Buffer.compare(back as Buffer, data)).toBe(0);
    }
    expect(Buffer.from(roundTrip(bytes(), new Uint8Array([7, 8]))).toString('hex')).toBe('0708');
  });

  it('bigint ↔ decimal string', () => {
    const big = 2n ** 70n + 1n;
    expect(toWireValue(big)).toBe('1180591620717411303425');
    expect(roundTrip(z.bigint(), big)).toBe(big);
    expect(roundTrip(z.bigint(), -5n)).toBe(-5n);
  });

  it('Set ↔ array, Map ↔ object (keys cast to the declared key type)', () => {
    const set = new Set([new Date(0), new Date(1000)]);
    const back = roundTrip(z.set(z.date()), set);
    expect(back).toBeInstanceOf(Set);
    expect([...back].map((d) => d.getTime())).toEqual([0, 1000]);
    const map = new Map([
      [1, Buffer.from('a')],
      [2, Buffer.from('b')],
    ]);
    const mapBack = roundTrip(z.map(z.number(), bytes()), map);
    expect(mapBack).toBeInstanceOf(Map);
    expect([...mapBack.keys()]).toEqual([1, 2]);
    expect(Buffer.from(mapBack.get(2)!).toString()).toBe('b');
  });

  it('nested objects, arrays, tuples, records, optional/nullable/default wrappers', () => {
    const schema = z.object({
      events: z.array(z.object({ at: z.date(), payload: bytes().optional() })),
      window: z.tuple([z.date(), z.date().nullable()]),
      byDay: z.record(z.string(), z.date()),
      created: z.date().default(() => new Date(5)),
      deleted: z.date().nullable(),
      note: z.string().optional(),
    });
    const value = {
      events: [{ at: new Date(1), payload: Buffer.from('x') }, { at: new Date(2) }],
      window: [new Date(3), null] as [Date, Date | null],
      byDay: { mon: new Date(4) },
      deleted: null,
    };
    const back = roundTrip(schema, value);
    expect(back.events[0]!.at).toEqual(new Date(1));
    expect(Buffer.from(back.events[0]!.payload!).toString()).toBe('x');
    expect(back.events[1]).toEqual({ at: new Date(2) });
    expect(back.window).toEqual([new Date(3), null]);
    expect(back.byDay.mon).toEqual(new Date(4));
    expect(back.created).toEqual(new Date(5));
    expect(back.deleted).toBeNull();
  });

  it('unions pick the first option that accepts the cast value; discriminated unions too', () => {
    const union = z.union([z.number(), z.date()]);
    expect(roundTrip(union, 5)).toBe(5);
    expect(roundTrip(union, new Date(9))).toEqual(new Date(9));
    const shapes = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('a'), at: z.date() }),
      z.object({ kind: z.literal('b'), data: bytes() }),
    ]);
    expect(roundTrip(shapes, { kind: 'a', at: new Date(7) })).toEqual({ kind: 'a', at: new Date(7) });
    const b = roundTrip(shapes, { kind: 'b', data: Buffer.from('hi') });
    expect(b.kind === 'b' && Buffer.from(b.data).toString()).toBe('hi');
  });

  it('recursive schemas (z.lazy)', () => {
    interface Node {
      at: Date;
      children: Node[];
    }
    const node: z.ZodType<Node> = z.lazy(() => z.object({ at: z.date(), children: z.array(node) }));
    const tree: Node = { at: new Date(1), children: [{ at: new Date(2), children: [] }] };
    expect(roundTrip(node, tree)).toEqual(tree);
  });

  it('a void result travels as null and comes back undefined; an optional one too', () => {
    expect(roundTrip(z.void(), undefined)).toBeUndefined();
    expect(roundTrip(z.string().optional(), undefined)).toBeUndefined();
    expect(roundTrip(z.string().nullable().optional(), null)).toBeNull();
  });

  it('pipes cast with their input side', () => {
    const schema = z.date().pipe(z.date().min(new Date(0)));
    expect(roundTrip(schema, new Date(10))).toEqual(new Date(10));
  });

  it('leaves values that do not convert for validation to report, and does not mutate its input', () => {
    const schema = z.object({ at: z.date(), data: bytes(), n: z.bigint() });
    const wire = { at: 'not a date', data: 'not base64!', n: '1.5' };
    const copy = structuredClone(wire);
    expect(castIncoming(schema, wire)).toEqual(wire);
    expect(wire).toEqual(copy);
    expect(schema.safeParse(castIncoming(schema, wire)).success).toBe(false);
  });

  it('skips schemas with nothing to cast', () => {
    expect(needsCasting(z.object({ a: z.string(), b: z.array(z.number()) }))).toBe(false);
    expect(needsCasting(z.object({ a: z.object({ b: z.date().optional() }) }))).toBe(true);
    const value = { a: 'x', b: [1] };
    expect(castIncoming(z.object({ a: z.string(), b: z.array(z.number()) }), value)).toBe(value);
  });
});

describe('casting dates strictly', () => {
  it('casts epoch milliseconds and ISO 8601 date-times with an offset', () => {
    expect(castIncoming(z.date(), 0)).toEqual(new Date(0));
    expect(castIncoming(z.date(), '2024-05-06T09:08:09+02:00')).toEqual(new Date('2024-05-06T07:08:09.000Z'));
  });

  it('leaves any other string as it is, so validation refuses it instead of the worker guessing a date', () => {
    // new Date('1') is 2001-01-01 in the worker's own time zone; without an offset the instant
    // would depend on the worker.
    for (const text of ['1', '2024-05-06', '2024-05-06T07:08:09', 'May 6, 2024', '2023-02-29T00:00:00Z']) {
      expect(castIncoming(z.date(), text)).toBe(text);
      expect(z.date().safeParse(castIncoming(z.date(), text)).success).toBe(false);
    }
    expect(castIncoming(z.date(), Number.NaN)).toBeNaN();
  });
});
