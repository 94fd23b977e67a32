import { attributesForRedrive, readDeadLetter } from '../../local/dead-letters';

const NOW = 1_800_000_000_000;

describe('reading a dead letter', () => {
  it("reads the worker's cause and an event's identity", () => {
    const letter = readDeadLetter(
      {
        MessageId: 'm-1',
        Body: JSON.stringify({ 'detail-type': 'math.happened', detail: { id: 'e-1', api: 'math', event: 'happened' } }),
        Attributes: { ApproximateReceiveCount: '2', SentTimestamp: String(NOW - 5) },
        MessageAttributes: {
          'lightbus.reason': { DataType: 'String', StringValue: 'retries-exhausted' },
          'lightbus.error.name': { DataType: 'String', StringValue: 'TypeError' },
          'lightbus.error.message': { DataType: 'String', StringValue: 'boom' },
          'lightbus.source-queue': { DataType: 'String', StringValue: 'b-listen-s-l' },
          'lightbus.receive-count': { DataType: 'Number', StringValue: '5' },
        },
      },
      NOW,
    );
    expect(letter).toEqual({
      messageId: 'm-1',
      body: expect.any(String),
      content: { kind: 'event', id: 'e-1', api: 'math', member: 'happened' },
      cause: { reason: 'retries-exhausted', errorName: 'TypeError', errorMessage: 'boom', sourceQueue: 'b-listen-s-l', receiveCount: 5 },
      deadLetterReceiveCount: 2,
      sentAt: NOW - 5,
      expired: false,
    });
  });

  it('marks RPC requests past their deadline as expired; knows no cause for the redrive net; survives a malformed body', () => {
    const rpc = (deadline: number) =>
      readDeadLetter({ MessageId: 'm', Body: JSON.stringify({ kind: 'lightbus.rpc', id: 'c', api: 'auth', procedure: 'check', deadline }) }, NOW);
    expect(rpc(NOW - 1)).toMatchObject({ content: { kind: 'rpc', id: 'c', api: 'auth', member: 'check', deadline: NOW - 1 }, expired: true, cause: undefined });
    expect(rpc(NOW + 1).expired).toBe(false);
    expect(readDeadLetter({ MessageId: 'm', Body: 'not json' }, NOW)).toMatchObject({ content: { kind: 'unknown' }, expired: false });
  });

  it('sends back the original attributes without the cause', () => {
    expect(
      attributesForRedrive({
        'lightbus.reason': { DataType: 'String', StringValue: 'invalid' },
        'lightbus.receive-count': { DataType: 'Number', StringValue: '1' },
        traceparent: { DataType: 'String', StringValue: '00-abc' },
      }),
    ).toEqual({ traceparent: { DataType: 'String', StringValue: '00-abc' } });
    expect(attributesForRedrive({ 'lightbus.reason': { DataType: 'String', StringValue: 'invalid' } })).toBeUndefined();
  });
});
