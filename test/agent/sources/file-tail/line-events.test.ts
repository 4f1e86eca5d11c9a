import { describe, expect, it } from 'vitest';
import { fileSourceSchema } from '../../../../agent/config/file-tail-config.js';
import { lineEvent } from '../../../../agent/sources/file-tail/line-events.js';

const mapping = fileSourceSchema.parse({ path: '/var/log/x.jsonl', model: 'loans', features: 'request.features', prediction: { label: 'response.label' }, id: 'request.id' });

describe('lineEvent', () => {
  it('takes the inference id from the field the mapping names, for delayed labels', () => {
    const line = (id: unknown): string => JSON.stringify({ request: { id, features: { age: 41 } }, response: { label: 'approve' } });
    expect(lineEvent(line('r-1'), mapping)).toEqual({ model: 'loans', id: 'r-1', features: { age: 41 }, prediction: { label: 'approve' } });
    expect(lineEvent(line(17), mapping)).toMatchObject({ id: '17' });
    // An id that is not a string or number is left out; the event still counts.
    expect(lineEvent(line({ nested: 1 }), mapping)).not.toHaveProperty('id');
    expect(lineEvent(line('r'.repeat(257)), mapping)).not.toHaveProperty('id');
    expect(lineEvent(JSON.stringify({ request: { features: { age: 41 } } }), mapping)).not.toHaveProperty('id');
    expect(lineEvent('not json', mapping)).toBe('not_json');
  });
});
