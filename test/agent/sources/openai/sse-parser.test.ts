import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../../agent/sources/openai/sse-parser.js';

/** Feeds `text` to a parser in pieces of `size` bytes; returns the events and whether the end cut one. */
function parse(text: string, size: number, maxEventBytes?: number): { events: string[]; cut: boolean; oversized: number } {
  const events: string[] = [];
  const parser = new SseParser((d) => events.push(d), maxEventBytes);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
  const cut = parser.end();
  return { events, cut, oversized: parser.oversized };
}

describe('SseParser', () => {
  const stream = 'data: {"a":1}\n\n: a comment\nevent: ignored\ndata: {"b":\ndata: 2}\n\r\ndata: [DONE]\r\n\r\n';

  it('gives the data of each event, however the stream is cut into chunks, with \\n, \\r\\n and multi-line data', () => {
    for (const size of [1, 2, 3, 7, 1000]) {
      expect(parse(stream, size)).toEqual({ events: ['{"a":1}', '{"b":\n2}', '[DONE]'], cut: false, oversized: 0 });
    }
  });

  it('says when the stream ended in the middle of an event, and drops that event', () => {
    expect(parse('data: {"a":1}\n\ndata: {"b"', 4)).toEqual({ events: ['{"a":1}'], cut: true, oversized: 0 });
  });

  it('passes over an event longer than its bound without holding it, and reads the next', () => {
    const long = `data: ${'x'.repeat(5000)}\n\ndata: ok\n\n`;
    expect(parse(long, 100, 1024)).toEqual({ events: ['ok'], cut: false, oversized: 1 });
  });
});
