/**
 * API and member names are bounded at definition time by the same 128 characters workers accept
 * on the wire (runtime/messages/bounds.ts): a longer name could be defined but never called.
 */
import { InvalidDefinitionError, lightbus, z } from '../../runtime';
import { MAX_NAME_LENGTH } from '../../runtime/messages';

const rpc = () => lightbus.rpc({ parameters: { a: z.number() }, response: z.number() });

it('accepts names of exactly the maximum length', () => {
  const api = `a${'b'.repeat(MAX_NAME_LENGTH - 1)}`;
  const member = `p${'q'.repeat(MAX_NAME_LENGTH - 1)}`;
  expect(() => lightbus.api(api, { rpcs: { [member]: rpc() } })).not.toThrow();
  const dotted = `ab${'.b'.repeat((MAX_NAME_LENGTH - 2) / 2)}`;
  expect(dotted).toHaveLength(MAX_NAME_LENGTH);
  expect(() => lightbus.api(dotted, { rpcs: { add: rpc() } })).not.toThrow();
});

it('refuses an API name over the maximum, saying how long it is and what is allowed', () => {
  const name = `a${'b'.repeat(MAX_NAME_LENGTH)}`;
  expect(() => lightbus.api(name, { rpcs: { add: rpc() } })).toThrow(InvalidDefinitionError);
  expect(() => lightbus.api(name, { rpcs: { add: rpc() } })).toThrow(`it has ${MAX_NAME_LENGTH + 1} characters; at most ${MAX_NAME_LENGTH} are allowed`);
});

it('refuses procedure and event names over the maximum', () => {
  const name = `p${'q'.repeat(140_000)}`;
  expect(() => lightbus.api('shop', { rpcs: { [name]: rpc() } })).toThrow('at most 128 are allowed');
  expect(() => lightbus.api('shop', { events: { [name]: lightbus.event({ parameters: {} }) } })).toThrow(/Invalid event name "shop\.pq+…": it has 140001 characters/);
});
