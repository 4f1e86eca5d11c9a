import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REJECT_REASONS } from '../../shared/core/aggregation/reject-reasons.js';
import { ROOT } from '../helpers/run-cli.js';
import { LABEL_REFUSALS } from '../../agent/labels/label-join.js';

const doc = parse(readFileSync(join(ROOT, 'docs', 'agent-api.openapi.yaml'), 'utf8')) as {
  openapi: string;
  paths: Record<string, unknown>;
  components: { schemas: Record<'Rejection' | 'LabelRejection', { properties: { reason: { enum: string[] } } }> };
};

describe('docs/agent-api.openapi.yaml', () => {
  it('is OpenAPI 3 and lists every endpoint the agent serves', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/metrics', '/readyz', '/v1/events', '/v1/flush', '/v1/labels', '/v1/status', '/v1/windows']);
  });
  it('lists exactly the refusal reasons the code uses', () => {
    expect(doc.components.schemas.Rejection.properties.reason.enum).toEqual([...REJECT_REASONS]);
    expect(doc.components.schemas.LabelRejection.properties.reason.enum).toEqual([...LABEL_REFUSALS]);
  });
});
