import { describe, expect, it } from 'vitest';
import { quoteName, safeNameProblem } from '../../../shared/platform/safe-name.js';

describe('safeNameProblem', () => {
  it('accepts the names of real feature columns, signals and derived features', () => {
    for (const name of ['age', 'credit_utilization', 'tenure_months', 'y_pred_proba.confidence', 'multivariate.reconstruction_error', 'query_embedding.pc3',
      'margin_10', 'dec_1', 'fraud-v20261206', '_x', 'app-channel', 'loans-eu']) {
      expect(safeNameProblem(name), name).toBeUndefined();
    }
  });

  it('refuses values as names, saying what each looks like', () => {
    const cases: [string, RegExp][] = [
      ['078-05-1120', /social security number/],
      ['123456.789012', /a number/],
      ['-4.5e3', /a number/],
      ['patient_john.doe@example.com', /e-mail address/],
      ['2026-01-05', /date/],
      ['05/01/2026', /date/],
      ['Jan-05-2026', /date/],
      ['5 March 2026', /date/],
      ['12:30', /date or time/],
      ['+1 555 123 4567', /phone number/],
      ['555-123-4567', /phone number/],
      ['acct_123456789', /long number/],
      ['5551234567', /number/],
      ['Jane Roe', /safe name pattern/],
      ['a/b', /safe name pattern/],
      ['x'.repeat(129), /safe name pattern/],
      ['', /safe name pattern/],
    ];
    for (const [name, words] of cases) expect(safeNameProblem(name), name).toMatch(words);
  });
});

describe('quoteName', () => {
  it('cuts a long name and escapes control characters', () => {
    expect(quoteName('bad\nname')).toBe("'bad\\nname'");
    expect(quoteName('x'.repeat(100))).toBe(`'${'x'.repeat(60)}…'`);
  });
});
