/** Copies chunks up to a limit; past it, stops copying (and says so). */
export class BoundedCopy {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private over = false;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    if (this.over) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.over = true;
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk);
  }

  result(): Buffer | undefined {
    if (this.over) return undefined;
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }
}
