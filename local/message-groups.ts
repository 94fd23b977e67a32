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
