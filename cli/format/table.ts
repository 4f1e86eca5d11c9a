/** Formats rows as left-aligned text columns (right-aligned where `numeric[i]`), two spaces apart. */
export function formatTable(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A number with `digits` significant figures, or '-' for null. */
export function num(value: number | null, digits = 3): string {
  if (value === null) return '-';
  if (value === 0) return '0';
  if (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e6) return value.toExponential(digits - 1);
  return value.toPrecision(digits);
}

/** A rate as a percentage with one decimal, or '-' for null. */
export function pct(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}
