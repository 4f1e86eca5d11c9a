import type { StateDatabase } from './state-database.js';

/** The differential-privacy budget spent per model (`privacy_budget`; a close adds to it). */
export class PrivacyBudgetStore {
  constructor(private readonly state: StateDatabase) {}

  /** Differential-privacy budget spent per model: windows released with noise and their summed ε. */
  spent(): Map<string, { windows: number; epsilon: number }> {
    const rows = this.state.db.prepare<[], { model: string; windows: number; epsilon: number }>('SELECT * FROM privacy_budget').all();
    return new Map(rows.map((r) => [r.model, { windows: r.windows, epsilon: r.epsilon }]));
  }

}
