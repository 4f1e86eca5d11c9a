/**
 * Something whose progress must be saved with the counts it produced (a file source's offsets):
 * `save` runs inside the checkpoint's transaction, so a crash leaves both or neither.
 */
export interface CheckpointParticipant {
  /** True when there is progress to save. */
  dirty(): boolean;
  /** Writes the progress (inside the checkpoint transaction). */
  save(): void;
  /** The transaction failed: in strict mode the counts went back to the last commit, and so must the progress. */
  failed(strict: boolean): void;
}
