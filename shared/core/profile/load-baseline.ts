import { readFileSync } from 'node:fs';
import { DwError } from '../../platform/errors.js';
import { BASELINE_SCHEMA_ID, BASELINE_SCHEMA_VERSION, baselineProfileSchema, type BaselineProfile } from './baseline-profile.js';

const [SUPPORTED_MAJOR, SUPPORTED_MINOR] = BASELINE_SCHEMA_VERSION.split('.').map(Number) as [number, number];

/**
 * Validates a parsed baseline document: its schema id, a version this build reads (same major,
 * minor up to ours), then every field. Errors name the file and the JSON path.
 */
export function parseBaseline(document: unknown, file: string): BaselineProfile {
  const head = (document ?? {}) as { schema?: unknown; schemaVersion?: unknown };
  if (typeof document !== 'object' || document === null || head.schema !== BASELINE_SCHEMA_ID) {
    throw new DwError('DW_ERR_BASELINE_SCHEMA', `not a driftwatch baseline (expected "schema": "${BASELINE_SCHEMA_ID}")`, { file, field: 'schema' });
  }
  const version = typeof head.schemaVersion === 'string' ? head.schemaVersion : '';
  const [major, minor] = version.split('.').map(Number);
  if (!/^\d+\.\d+$/.test(version) || major !== SUPPORTED_MAJOR || minor! > SUPPORTED_MINOR) {
    throw new DwError('DW_ERR_BASELINE_VERSION',
      `schema version '${version}' is not supported (this build reads ${SUPPORTED_MAJOR}.0 to ${BASELINE_SCHEMA_VERSION})`,
      { file, field: 'schemaVersion' });
  }
  const result = baselineProfileSchema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    throw new DwError('DW_ERR_BASELINE_SCHEMA', `${issue.message}`, { file, field: path });
  }
  return result.data;
}

/** Reads and validates a baseline profile file. */
export function loadBaseline(file: string): BaselineProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `cannot read baseline (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new DwError('DW_ERR_BASELINE_SCHEMA', `baseline is not valid JSON: ${(err as Error).message}`, { file });
  }
  return parseBaseline(document, file);
}

/** Loads a configured model's baseline; an error names the model as well as the file. */
export function loadModelBaseline(model: { name: string; baseline: string }): BaselineProfile {
  try {
    return loadBaseline(model.baseline);
  } catch (err) {
    if (err instanceof DwError) throw new DwError(err.code, `model '${model.name}': ${err.message}`, err.location);
    throw err;
  }
}
