import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../shared/platform/errors.js';
import { ERROR_STAGES, ERROR_TYPES } from '../../../shared/platform/failure-events.js';

const doc = (name: string): string => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

describe('the error catalogue', () => {
  it('documents every code in docs/errors.md', () => {
    const errors = doc('errors.md');
    const missing = Object.keys(ERROR_CODES).filter((code) => !errors.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('documents every error_type and stage of driftwatch.component.errors in docs/agent.md', () => {
    const agent = doc('agent.md');
    const missing = [...ERROR_TYPES, ...ERROR_STAGES].filter((name) => !agent.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
