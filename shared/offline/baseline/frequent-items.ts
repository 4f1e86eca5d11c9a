/**
 * Misra–Gries frequent-items summary: keeps at most `capacity` candidates, and every item more
 * frequent than total / (capacity + 1) is among them. Memory is bounded whatever the cardinality;
 * exact counts come from a second pass over the candidates.
 */
export class FrequentItems {
  private readonly counters = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  add(item: string): void {
    const current = this.counters.get(item);
    if (current !== undefined) {
      this.counters.set(item, current + 1);
    } else if (this.counters.size < this.capacity) {
      this.counters.set(item, 1);
    } else {
      // Decrement every counter; amortised O(1) because each decrement cancels an earlier increment.
      for (const [key, value] of this.counters) {
        if (value <= 1) this.counters.delete(key);
        else this.counters.set(key, value - 1);
      }
    }
  }

  /** The candidate items (a superset of the truly frequent ones). */
  candidates(): string[] {
    return [...this.counters.keys()];
  }
}
