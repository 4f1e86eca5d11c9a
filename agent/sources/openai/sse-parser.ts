/**
 * Server-sent events, read as they stream (the WHATWG event-stream format): bytes in, the `data`
 * of each complete event out. Holds only the event being read, bounded by `maxEventBytes`; an
 * event longer than that is passed over (and counted), never buffered whole. Pure: no I/O.
 */
export class SseParser {
  /** Events passed over for being longer than maxEventBytes. */
  oversized = 0;
  private line: Buffer[] = [];
  private lineBytes = 0;
  private data: string[] = [];
  private dataBytes = 0;
  private skipping = false;
  private sawCr = false;

  constructor(private readonly onEvent: (data: string) => void, private readonly maxEventBytes = 1024 * 1024) {}

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== 10 && byte !== 13) continue;
      // "\r\n" is one line end: a "\n" right after a "\r" ends nothing more.
      if (byte === 10 && this.sawCr && i === start) {
        this.sawCr = false;
        start = i + 1;
        continue;
      }
      this.take(chunk.subarray(start, i));
      this.endLine();
      this.sawCr = byte === 13;
      start = i + 1;
    }
    if (start < chunk.length) {
      this.sawCr = false;
      this.take(chunk.subarray(start));
    }
  }

  /** The stream ended: an event not closed by a blank line is dropped, as the format says. */
  end(): boolean {
    const cut = this.data.length > 0 || this.lineBytes > 0;
    this.reset();
    return cut;
  }

  private take(bytes: Buffer): void {
    if (bytes.length === 0 || this.skipping) return;
    this.lineBytes += bytes.length;
    if (this.lineBytes + this.dataBytes > this.maxEventBytes) {
      this.skipping = true;
      this.line = [];
      this.data = [];
      return;
    }
    this.line.push(Buffer.from(bytes));
  }

  private endLine(): void {
    const text = Buffer.concat(this.line).toString('utf8');
    const empty = this.lineBytes === 0;
    this.line = [];
    this.lineBytes = 0;
    if (empty) {
      // A blank line dispatches the event.
      if (this.skipping) this.oversized++;
      else if (this.data.length > 0) this.onEvent(this.data.join('\n'));
      this.reset();
      return;
    }
    if (this.skipping || text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    if (field !== 'data') return;
    const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
    this.data.push(value);
    this.dataBytes += value.length;
  }

  private reset(): void {
    this.line = [];
    this.lineBytes = 0;
    this.data = [];
    this.dataBytes = 0;
    this.skipping = false;
  }
}
