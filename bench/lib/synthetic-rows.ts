import { seededNormal } from '../../scripts/lib/seeded-normal.js';

/** Seeded rows: `numeric` columns n0.. (normal, two decimals) and `categorical` columns c0.. (8 values). */
export function rowsFor(numeric: number, categorical: number, count: number, seed: number): Record<string, number | string>[] {
  const { normal, uniform } = seededNormal(seed);
  return Array.from({ length: count }, () => {
    const row: Record<string, number | string> = {};
    for (let j = 0; j < numeric; j++) row[`n${j}`] = Math.round(normal() * 1000) / 100;
    for (let j = 0; j < categorical; j++) row[`c${j}`] = `v${Math.floor(uniform() * 8)}`;
    return row;
  });
}
