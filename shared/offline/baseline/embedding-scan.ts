import type { ValueProblem } from '../../core/aggregation/profile-counter.js';
import type { InputRecord } from '../../core/aggregation/read-source.js';
import { isMissing } from '../../core/aggregation/value-coercion.js';
import { readEmbedding } from '../../core/multivariate/record-vector.js';

/**
 * First-pass view of an embedding column: the vectors' length (the most common one; vectors of
 * another length are errors) and the first bad value.
 */
export class EmbeddingScan {
  private readonly lengths = new Map<number, { count: number; firstLine: number }>();
  private firstBad: { line: number; reason: string } | undefined;
  /** The length fixed after pass 1, for checking rows. */
  private fixed: number | undefined;

  constructor(readonly column: string) {}

  add(raw: unknown, line: number): void {
    if (isMissing(raw)) return;
    const read = readEmbedding(raw, undefined);
    if (typeof read === 'string') {
      this.firstBad ??= { line, reason: read };
      return;
    }
    const seen = this.lengths.get(read.length);
    if (seen !== undefined) seen.count++;
    else if (this.lengths.size < 64) this.lengths.set(read.length, { count: 1, firstLine: line });
  }

  /** The vectors' length: the most common one (the shortest on ties). */
  get dimension(): number | undefined {
    let best: [number, number] | undefined;
    for (const [length, { count }] of this.lengths) if (best === undefined || count > best[1] || (count === best[1] && length < best[0])) best = [length, count];
    return best?.[0];
  }

  /** The first line whose vector is bad or of another length. */
  get firstInvalid(): { line: number; reason: string } | undefined {
    const d = this.dimension;
    let first = this.firstBad;
    for (const [length, { firstLine }] of this.lengths) {
      if (length !== d && (first === undefined || firstLine < first.line)) first = { line: firstLine, reason: `embedding has ${length} entries; the baseline's have ${d}` };
    }
    return first;
  }

  /** Why this record's vector is unusable, if it is (a row with a bad vector is skipped whole). */
  problem(record: InputRecord): ValueProblem | undefined {
    const raw = record[this.column];
    if (isMissing(raw)) return undefined;
    this.fixed ??= this.dimension;
    const read = readEmbedding(raw, this.fixed);
    return typeof read === 'string' ? { field: this.column, message: read } : undefined;
  }
}
