import { InvalidArgumentError } from 'commander';
import type { OnError } from '../shared/offline/input/input-format.js';

/** Parses a whole-number flag value, naming the flag when it is not one. */
export function intOption(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number, not '${value}'.`);
    return Number(value);
  };
}

/** Parses a number flag value. */
export function numberOption(flag: string): (value: string) => number {
  return (value) => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`${flag} takes a number, not '${value}'.`);
    return x;
  };
}

/** Appends comma-separated names to the list so far (the flag may repeat). */
export function listOption(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

/** Parses --on-error. */
export function onErrorOption(value: string): OnError {
  if (value !== 'skip' && value !== 'fail') throw new InvalidArgumentError(`--on-error takes skip or fail, not '${value}'.`);
  return value;
}
