/**
 * Group commit: the changes of every request that arrives while the event loop turns are written
 * in one transaction, and each request is answered only once that transaction has committed. A
 * commit costs about as much as merging a window, so a busy collector merges many windows per
 * commit instead of one, without answering any before it is durable.
 */
interface Group<T> {
  items: T[];
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

export class GroupCommit<T> {
  private pending: Group<T> | undefined;

  /** @param commit writes all items in one transaction (throws if it could not). */
  constructor(private readonly commit: (items: T[]) => void) {}

  /** Queues `item` for the next commit; resolves once it is committed, rejects with the commit's error. */
  add(item: T): Promise<void> {
    if (this.pending === undefined) {
      const group: Group<T> = { items: [], waiters: [] };
      this.pending = group;
      // After the I/O callbacks of this turn: every request whose body is complete joins the group.
      setImmediate(() => this.run(group));
    }
    const group = this.pending;
    group.items.push(item);
    return new Promise((resolve, reject) => group.waiters.push({ resolve, reject }));
  }

  private run(group: Group<T>): void {
    this.pending = undefined;
    try {
      this.commit(group.items);
    } catch (err) {
      for (const w of group.waiters) w.reject(err);
      return;
    }
    for (const w of group.waiters) w.resolve();
  }
}
