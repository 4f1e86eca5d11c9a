import { describe, expect, it } from 'vitest';
import { EventJoin, type LoggedHalf } from '../../../../agent/sources/kserve-logger/event-join.js';

const half = (id: string, kind: LoggedHalf['kind'], at: number, bytes = 10, inferenceService = 'loans'): LoggedHalf =>
  ({ id, kind, inferenceService, body: Buffer.alloc(bytes), contentType: 'application/json', at });

describe('EventJoin', () => {
  it('joins a request and its response on ce-id, whichever comes first', () => {
    const join = new EventJoin({ timeoutMs: 1000, maxPending: 10, maxPendingBytes: 1000 });
    expect(join.add(half('a', 'request', 0))).toBeUndefined();
    expect(join.add(half('b', 'response', 1))).toBeUndefined();
    expect(join.add(half('a', 'response', 2))).toMatchObject({ request: { id: 'a', kind: 'request' }, response: { id: 'a', kind: 'response' } });
    expect(join.add(half('b', 'request', 3))).toMatchObject({ request: { id: 'b', at: 3 }, response: { id: 'b', at: 1 } });
    expect(join.joined).toBe(2);
    expect(join.waiting).toEqual({ halves: 0, bytes: 0 });
  });

  it('keeps InferenceServices apart: the same ce-id in two services is two exchanges', () => {
    const join = new EventJoin({ timeoutMs: 1000, maxPending: 10, maxPendingBytes: 1000 });
    join.add(half('a', 'request', 0, 10, 'one'));
    expect(join.add(half('a', 'response', 1, 10, 'two'))).toBeUndefined();
    expect(join.waiting.halves).toBe(2);
  });

  it('counts halves left alone past the timeout, a duplicate, and halves past the count or byte bound', () => {
    const join = new EventJoin({ timeoutMs: 1000, maxPending: 3, maxPendingBytes: 100 });
    join.add(half('a', 'request', 0));
    join.add(half('b', 'response', 500));
    join.add(half('b', 'response', 600));
    expect(join.losses.duplicate).toBe(1);
    join.add(half('c', 'request', 700, 90));
    expect(join.losses.pending_full).toBe(1);
    join.add(half('d', 'request', 800));
    join.add(half('e', 'request', 900));
    expect(join.losses.pending_full).toBe(2);
    join.expire(1550);
    expect(join.losses).toMatchObject({ unmatched_request: 1, unmatched_response: 1 });
    expect(join.waiting).toEqual({ halves: 1, bytes: 10 });
    expect(join.add(half('a', 'response', 1600))).toBeUndefined();
  });
});
