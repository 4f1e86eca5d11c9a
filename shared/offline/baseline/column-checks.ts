import { safeNameProblem, quoteName } from '../../platform/safe-name.js';
import { DwError } from '../../platform/errors.js';
import type { ColumnSummary } from './column-summary.js';

/** A column as the checks see it: its feature name, the column it reads, and its first-pass scan. */
export interface CheckedColumn {
  name: string;
  column: string;
  /** Declared numeric or categorical by a flag: the user has said what the column is. */
  forced: 'numeric' | 'categorical' | undefined;
  type: 'numeric' | 'categorical';
  scan: ColumnSummary;
}

/** A text column is identifier-like when at least this share of its values are distinct... */
const IDENTIFIER_DISTINCT_SHARE = 0.9;
/** ...and it has at least this many text values (fewer cannot tell an id from a small category set). */
const IDENTIFIER_MIN_VALUES = 50;

const NAMES_HINT = 'feature names become CloudWatch dimensions, so they must be names, not data. '
  + 'If the file has no header row, name its columns with --no-header-row --column-names a,b,...; '
  + 'otherwise rename the column, or give every column a name with --column-names';

/**
 * Every name that becomes a feature (or, for an embedding, the prefix of its derived features)
 * must be a safe name (core/profile/feature-name.ts). Refuses the first that is not, naming it.
 */
export function checkFeatureNames(names: readonly string[], file: string): void {
  for (const name of names) {
    const problem = safeNameProblem(name);
    if (problem !== undefined) {
      throw new DwError('DW_ERR_BASELINE_NAME', `column ${quoteName(name)} cannot be a feature name: ${problem}; ${NAMES_HINT}`, { file, line: 1 });
    }
  }
}

/** Whether a header cell parses like the values of its column below it (true), unlike them (false), or cannot tell (undefined). */
function cellLikeValues(c: CheckedColumn): boolean | undefined {
  if (c.type === 'numeric') return c.scan.texts === 0 ? !Number.isNaN(Number(c.column)) && c.column.trim() !== '' : undefined;
  if (c.scan.categoryCandidates().includes(c.column)) return true;
  const { min, max } = c.scan.textLength;
  if (c.scan.texts > 0 && min === max) return c.column.length === min;
  return undefined;
}

/**
 * A CSV's header is refused when every one of its cells parses like the values of its column (a
 * number over numbers, one of the column's own categories, a code of the column's fixed width):
 * the "header" is then the first data row of a file that has none (Python's csv.Sniffer votes the
 * same way). Only for names read from the file's first row.
 */
export function checkHeaderIsNotData(columns: readonly CheckedColumn[], file: string): void {
  if (columns.length === 0) return;
  const votes = columns.map(cellLikeValues);
  if (!votes.every((v) => v === true)) return;
  const cells = columns.slice(0, 3).map((c) => quoteName(c.column)).join(', ');
  throw new DwError('DW_ERR_BASELINE_NAME',
    `the first row looks like data, not a header: each of its cells (${cells}${columns.length > 3 ? ', ...' : ''}) parses like the values below it; ${NAMES_HINT}`,
    { file, line: 1 });
}

/**
 * A text column whose values are nearly all distinct (ids, timestamps, free text) is refused as a
 * categorical feature: its top-K "categories" would be raw values kept in the baseline, and it
 * cannot drift in any useful sense. Declaring it `--categorical` says otherwise.
 */
export function checkIdentifierColumns(columns: readonly CheckedColumn[], file: string): void {
  for (const c of columns) {
    if (c.type !== 'categorical' || c.forced === 'categorical' || c.scan.texts < IDENTIFIER_MIN_VALUES) continue;
    const distinct = Math.min(c.scan.texts, Math.round(c.scan.distinctTextCount()));
    if (distinct < IDENTIFIER_DISTINCT_SHARE * c.scan.texts) continue;
    throw new DwError('DW_ERR_BASELINE_IDENTIFIER',
      `column ${quoteName(c.column)} looks like an identifier (an id, a timestamp or free text): about ${distinct} of its ${c.scan.texts} text values are distinct, `
      + `and its top categories would be raw values kept in the baseline; leave it out with --exclude ${c.column}, `
      + `or declare it with --categorical ${c.column} if it really is a category`,
      { file, field: c.column });
  }
}
