/** SQL text for values driftwatch puts into the statements it generates (never user SQL). */

/** An identifier, double-quoted: any column name is safe inside it. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A DOUBLE literal that reads back as exactly `x` (the shortest round-trip text, cast). */
export function double(x: number): string {
  if (Number.isNaN(x)) return "'nan'::DOUBLE";
  if (!Number.isFinite(x)) return x > 0 ? "'inf'::DOUBLE" : "'-inf'::DOUBLE";
  return `${literal(String(x))}::DOUBLE`;
}
