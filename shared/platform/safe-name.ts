import { z } from 'zod';

/**
 * Names are data too: a feature's name becomes the `Feature` dimension in CloudWatch, so a name
 * that is really a value (a headerless CSV's first row) or personal data (an e-mail in a header)
 * would leave the host. Every name that becomes a dimension value (feature, model, site) must
 * match {@link SAFE_NAME_PATTERN} and must not have the shape of a value. The baseline builder
 * refuses such feature names, the profile schema and the config schemas refuse them on load, and
 * the egress allowlist refuses them on every dimension value it sends.
 */

/**
 * The safe pattern (docs/security.md): a letter or `_` first, then letters, digits, `_`, `.` or
 * `-`, at most 128 characters. No spaces, `@`, `+`, `/`, `:` or other punctuation.
 */
export const SAFE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

const MONTHS = 'jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september|oct|october|nov|november|dec|december';

/** Shapes of values that have no place in a name, each with the words an error uses for it. */
const VALUE_SHAPES: readonly [RegExp, string][] = [
  [/^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/, 'a number'],
  [/[^\s@]+@[^\s@]+\.[A-Za-z]{2,}/, 'an e-mail address'],
  [/(^|\D)\d{3}[- ]\d{2}[- ]\d{4}(\D|$)/, 'a social security number'],
  [/\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}:\d{2}/, 'a date or time'],
  [new RegExp(`(^|[^a-z])(${MONTHS})[-_ .]?\\d{1,2}[-_ .,]+\\d{2,4}|\\d{1,2}[-_ .]?(${MONTHS})[-_ .]?\\d{2,4}`, 'i'), 'a date'],
  [/\+?\(?\d{2,4}\)?[-. ]\d{3,4}[-. ]\d{3,4}/, 'a phone number'],
  [/\d{9,}/, 'a long number (an account, phone or identifier)'],
];

/** Why `name` cannot be a dimension value (a feature, model or site name), or undefined when it can. */
export function safeNameProblem(name: string): string | undefined {
  for (const [shape, words] of VALUE_SHAPES) if (shape.test(name)) return `it looks like ${words}, not a name`;
  if (!SAFE_NAME_PATTERN.test(name)) {
    return 'it is outside the safe name pattern (a letter or _ first, then letters, digits, _ . or -, at most 128 characters)';
  }
  return undefined;
}

/** A model version as a dimension value: a letter or digit first, then letters, digits, `_ . + -`, at most 64 characters. */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;

/** A zod string that must be a safe name; its error reads `<prefix>'name' cannot be <role>: why`. */
export function safeNameSchema(role: string, prefix = ''): z.ZodString {
  return z.string().min(1).max(255).superRefine((name, ctx) => {
    const problem = safeNameProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${prefix}${quoteName(name)} cannot be ${role}: ${problem}` });
  });
}

/** A name as it may appear in an error message: cut short, control characters escaped. */
export function quoteName(name: string): string {
  const cut = name.length > 60 ? `${name.slice(0, 60)}…` : name;
  return JSON.stringify(cut).replace(/^"|"$/g, "'");
}
