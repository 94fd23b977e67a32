import type { InboundMessage } from '../../runtime/dispatch';
import type { InFlight } from '../../local/in-flight';
import { MessageGroups, type GroupMember } from '../../local/message-groups';

function entry(id: string, heartbeatStop: () => Promise<void> = () => Promise.resolve()): InFlight {
  const message: InboundMessage = { messageId: id, body: '{}', receiptHandle: id, receiveCount: 1, queueName: 'q.fifo' };
  return { message, done: Promise.resolve(), finished: false, handled: false, returned: false, heartbeat: { stop: heartbeatStop } };
}

/** A member whose calls are logged in `log`; `settles` says whether its run settles. */
function member(log: string[], item: InFlight, options: { settles?: boolean; accepting?: () => boolean } = {}): GroupMember {
  const id = item.message.messageId;
  return {
    entry: item,
    accepting: options.accepting ?? (() => true),
    run: async () => {
      log.push(`run ${id}`);
      return options.settles ?? true;
    },
    giveBack: async (why) => void log.push(`give back ${id} (${why})`),
    release: () => void log.push(`release ${id}`),
  };
}

describe('MessageGroups.admit (a FIFO queue consumer\'s per-group order)', () => {
  it('holds back the later messages of a group behind one that did not settle, and runs other groups', async () => {
    const groups = new MessageGroups();
    const log: string[] = [];
    await Promise.all([
      groups.admit('A', member(log, entry('A1'), { settles: false })),
      groups.admit('A', member(log, entry('A2'))),
      groups.admit('B', member(log, entry('B1'))),
    ]);
    expect(log.filter((l) => l.includes('A'))).toEqual(['run A1', 'give back A2 (behind-failed)', 'release A2']);
    expect(log).toContain('run B1');
  });

  it('starts no queued message once the consumer stops accepting: the running one finishes, the rest go back unrun', async () => {
    const groups = new MessageGroups();
    const log: string[] = [];
    let accepting = true;
    let finishA1: () => void = () => undefined;
    const a1 = member(log, entry('A1'));
    const running = groups.admit('A', {
      ...a1,
      run: async () => {
        log.push('run A1');
        await new Promise<void>((resolve) => (finishA1 = resolve));
        return true;
      },
    });
    const queued = [2, 3].map((n) => groups.admit('A', member(log, entry(`A${n}`), { accepting: () => accepting })));
    await new Promise((r) => setImmediate(r));
    accepting = false; // stop()
    finishA1();
    await Promise.all([running, ...queued]);
    expect(log).toEqual(['run A1', 'give back A2 (at-stop)', 'release A2', 'give back A3 (at-stop)', 'release A3']);
  });

  it('gives a message back only after its heartbeat\'s extension under way has ended (else that extension hides it again)', async () => {
    const groups = new MessageGroups();
    const log: string[] = [];
    let endExtension: () => void = () => undefined;
    const extension = new Promise<void>((resolve) => (endExtension = resolve));
    const a2 = entry('A2', () => {
      log.push('heartbeat stop A2');
      return extension.then(() => void log.push('extension ended A2'));
    });
    const first = groups.admit('A', member(log, entry('A1'), { settles: false }));
    const second = groups.admit('A', member(log, a2));
    await first;
    await new Promise((r) => setTimeout(r, 20));
    expect(log).not.toContain('give back A2 (behind-failed)');
    endExtension();
    await second;
    expect(log).toEqual(['run A1', 'heartbeat stop A2', 'extension ended A2', 'give back A2 (behind-failed)', 'release A2']);
  });

  it('only lets go of a message stop() already returned to the queue (no second give-back)', async () => {
    const groups = new MessageGroups();
    const log: string[] = [];
    const returned = entry('A1');
    returned.returned = true;
    await groups.admit('A', member(log, returned));
    expect(log).toEqual(['release A1']);
  });
});
