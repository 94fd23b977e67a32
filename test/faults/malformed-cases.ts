/**
 * The bad messages the fault suite puts on a request queue and a listener queue: bodies that are
 * not JSON, not the wire format, or lie about themselves, and message attributes a worker never
 * asked for. Each must end in the dead-letter queue, an error result for its caller, or a log line
 * (or, for a valid body under odd attributes, simply run): never a crash, never silence.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { eventBody, rpcBody } from '../../tools/faults/context';

export interface MalformedCase {
  readonly name: string;
  readonly queue: 'rpc' | 'listener';
  /** The body, given the bus's results table. */
  body(table: string): string;
  readonly attributes?: Record<string, MessageAttributeValue>;
}

const str = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/** Bodies that are not a lightbus message at all, on either queue. */
const NOT_MESSAGES: readonly (readonly [string, string])[] = [
  ['not JSON', 'hello'],
  ['truncated JSON', '{"v":1,"kind":"lightbus.'],
  ['null', 'null'],
  ['empty array', '[]'],
  ['number', '42'],
  ['string', '"lightbus"'],
  ['boolean', 'true'],
  ['empty object', '{}'],
  ['XML', '<?xml version="1.0"?><call/>'],
  ['byte-order mark then JSON', '\uFEFF{"v":1}'],
];

const RPC_FIELDS: readonly (readonly [string, Record<string, unknown>])[] = [
  ['v 2 with a fresh id', { v: 2 }],
  ['v 0', { v: 0 }],
  ['v as a string', { v: '1' }],
  ['kind missing', { kind: undefined }],
  ['kind of an event', { kind: 'lightbus.event' }],
  ['empty id', { id: '' }],
  ['numeric id', { id: 123 }],
  ['id missing', { id: undefined }],
  ['api missing', { api: undefined }],
  ["another API's call on this queue", { api: 'elsewhere' }],
  ['unknown procedure', { procedure: 'nope' }],
  ['empty procedure', { procedure: '' }],
  ['control characters in the procedure', { procedure: 'wo\u0001rk' }],
  ['parameters null', { parameters: null }],
  ['parameters an array', { parameters: [] }],
  ['parameters a string', { parameters: 'x' }],
  ['parameters of the wrong types', { parameters: { tag: 5, ms: 'x' } }],
  ['parameters missing fields', { parameters: {} }],
  ['deadline passed', { deadline: Date.now() - 60_000 }],
  ['negative deadline', { deadline: -1 }],
  ['deadline a string', { deadline: 'tomorrow' }],
  ['fractional deadline', { deadline: 1.5 }],
  ['deadline missing', { deadline: undefined }],
  ['returnPath missing', { returnPath: undefined }],
  ['empty result table', { returnPath: { table: '' } }],
  ["someone else's result table", { returnPath: { table: 'someone-elses-table' } }],
  ['returnPath a string', { returnPath: 'x' }],
  ['sender a string', { sender: 'x' }],
  ['sender with a numeric service', { sender: { service: 5 } }],
  ['lone surrogate in the id', { id: 'call-\ud800' }],
  ['id longer than a DynamoDB key', { id: 'x'.repeat(3000) }],
  ['emoji id', { id: `call-🚀-${Math.random().toString(36).slice(2)}` }],
  ['deeply nested parameters', { parameters: { tag: 'nested', ms: 1, deep: JSON.parse('['.repeat(2000) + ']'.repeat(2000)) as unknown } }],
];

const EVENT_FIELDS: readonly (readonly [string, Record<string, unknown>, Record<string, unknown>])[] = [
  ['envelope without detail', { detail: undefined }, {}],
  ['detail null', { detail: null }, {}],
  ['detail double-encoded as a string', { detail: JSON.stringify({ v: 1 }) }, {}],
  ['detail v 2', {}, { v: 2 }],
  ['detail kind of a call', {}, { kind: 'lightbus.rpc' }],
  ['source of another API', { source: 'lightbus.other' }, {}],
  ['detail-type of another event', { 'detail-type': 'faults.stuck' }, {}],
  ['event this listener does not handle', { 'detail-type': 'faults.stuck' }, { event: 'stuck', parameters: { tag: 'x' } }],
  ['event of an unknown API', { source: 'lightbus.zzz', 'detail-type': 'zzz.job' }, { api: 'zzz' }],
  ['parameters of the wrong types', {}, { parameters: { tag: 5, ms: 'x', firedAt: 'y' } }],
  ['parameters missing', {}, { parameters: undefined }],
  ['parameters an array', {}, { parameters: [] }],
  ['firedAt a number', {}, { firedAt: 5 }],
  ['empty event id', {}, { id: '' }],
  ['envelope id a number', { id: 7 }, {}],
  ['envelope time a number', { time: 7 }, {}],
  ['sender a string', {}, { sender: 'x' }],
  ['lone surrogate in the event id', {}, { id: 'ev-\udfff' }],
];

/** Valid messages under message attributes nobody asked for: they must simply run. */
const ODD_ATTRIBUTES: readonly (readonly [string, Record<string, MessageAttributeValue>])[] = [
  ['lightbus dead-letter attributes', { 'lightbus.reason': str('malformed'), 'lightbus.error.name': str('Forged') }],
  ['binary attribute', { blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) } }],
  ['numeric attribute with a custom type', { n: { DataType: 'Number.weird', StringValue: '-1e308' } }],
  ['ten attributes', Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, str('v'.repeat(100))]))],
];

export const MALFORMED_CASES: readonly MalformedCase[] = [
  ...NOT_MESSAGES.flatMap(([name, body]): MalformedCase[] => [
    { name: `request: ${name}`, queue: 'rpc', body: () => body },
    { name: `event: ${name}`, queue: 'listener', body: () => body },
  ]),
  ...RPC_FIELDS.map(([name, fields]): MalformedCase => ({ name: `request: ${name}`, queue: 'rpc', body: (table) => rpcBody(table, fields) })),
  ...EVENT_FIELDS.map(([name, envelope, detail]): MalformedCase => ({ name: `event: ${name}`, queue: 'listener', body: () => eventBody(envelope, detail) })),
  ...ODD_ATTRIBUTES.flatMap(([name, attributes]): MalformedCase[] => [
    { name: `request with ${name}`, queue: 'rpc', body: (table) => rpcBody(table), attributes },
    { name: `event with ${name}`, queue: 'listener', body: () => eventBody(), attributes },
  ]),
  { name: 'request: not JSON with odd attributes', queue: 'rpc', body: () => 'garbage', attributes: { x: str('y') } },
  { name: 'event: not JSON with odd attributes', queue: 'listener', body: () => 'garbage', attributes: { x: str('y') } },
];
