import type { InFlight } from './in-flight';

/** What a consumer lends {@link MessageGroups.admit} to run, or hold back, one received message. */
export interface GroupMember {
  readonly entry: InFlight;
  /** False once the consumer is stopping: a message not started by then is held back, never started. */
  readonly accepting: () => boolean;
  /** Runs the message to its end; resolves true when it settled (deleted or dead-lettered), false when it waits for a retry. */
  readonly run: () => Promise<boolean>;
  /** Gives the message back to its queue (visibility 0), unrun. Never throws. */
  readonly giveBack: (why: 'behind-failed' | 'at-stop') => Promise<void>;
  /** The consumer is done with the message: it leaves the in-flight set and frees its slot. */
  readonly release: () => void;
}

/**
 * Per-group order for a FIFO queue's consumer (an ordered listener's): SQS FIFO hands out a
 * group's messages in order, several in one receive, but running them at once would reorder
 * them. Each group's messages run one after another; once one of them does not settle (its
 * handler failed and it waits for its retry), the group's later messages already received are
 * held back (given back to the queue) instead of run: SQS then keeps the group locked until the
 * failed message is delivered again, first. Other groups carry on.
 */
export class MessageGroups {
  private readonly chains = new Map<string, { tail: Promise<void>; blocked: boolean; queued: number }>();

  /** Groups with messages running or waiting. */
  public get activeCount(): number {
    return this.chains.size;
  }

  /**
   * Runs a received message of `group` once the group's earlier messages are done, or holds it back
   * (gives it back to the queue unrun) if an earlier one did not settle, if stop() returned it, or
   * if the consumer is stopping: a stopping consumer only finishes what it started, so no message
   * of the group starts here while another worker may already take the group over.
   */
  public admit(group: string, member: GroupMember): Promise<void> {
    const work = async (): Promise<boolean> => {
      if (member.entry.returned || !member.accepting()) {
        await holdBack(member, 'at-stop');
        return false;
      }
      return member.run();
    };
    return this.schedule(group, work, () => holdBack(member, member.accepting() ? 'behind-failed' : 'at-stop'));
  }

  /**
   * Runs `work` once the group's earlier messages are done; `work` says whether its message settled
   * (deleted or dead-lettered). After one that did not, the group's later ones get `holdBack` instead.
   */
  public schedule(group: string, work: () => Promise<boolean>, holdBack: () => Promise<void>): Promise<void> {
    let chain = this.chains.get(group);
    if (chain === undefined) {
      chain = { tail: Promise.resolve(), blocked: false, queued: 0 };
      this.chains.set(group, chain);
    }
    const own = chain;
    own.queued += 1;
    const run = own.tail.then(async () => {
      try {
        if (own.blocked) await holdBack();
        else if (!(await work())) own.blocked = true;
      } finally {
        own.queued -= 1;
        // The group's last received message is done: its next ones come in a later receive, in order.
        if (own.queued === 0 && this.chains.get(group) === own) this.chains.delete(group);
      }
    });
    own.tail = run.catch(() => undefined);
    return run;
  }
}

/**
 * Gives a message back unrun. Its heartbeat is stopped and any extension under way awaited first:
 * landing after the give-back, it would hide the message, and lock its group, for a whole
 * visibility timeout. A message stop() already returned is only let go.
 */
async function holdBack(member: GroupMember, why: 'behind-failed' | 'at-stop'): Promise<void> {
  try {
    await member.entry.heartbeat?.stop();
    if (!member.entry.returned) await member.giveBack(why);
  } finally {
    member.release();
  }
}
