import type { AgentProcess } from './agent-process.js';

/** A model's last closed window as `/v1/status` shows it. */
export interface ClosedWindow {
  events: number;
  drift: boolean;
  features: unknown[];
}

type Status = { models: { name: string; openWindows: { events: number }[]; lastClosedWindow: ClosedWindow | null }[]; sources?: Record<string, unknown> };

/**
 * Waits (up to a minute) until each of `models` holds `events` events in its open windows, then
 * flushes and returns each one's closed window: the way to compare what a source counted with what
 * the event API counted from the same rows.
 */
export async function flushWhenCounted(agent: AgentProcess, models: readonly string[], events: number): Promise<Record<string, ClosedWindow>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = (await agent.get('/v1/status')).body as Status;
    const counted = models.map((name) => status.models.find((m) => m.name === name)!.openWindows.reduce((n, w) => n + w.events, 0));
    if (counted.every((n) => n === events)) break;
    if (Date.now() > deadline) throw new Error(`windows hold ${JSON.stringify(counted)} events, not ${events} each; sources: ${JSON.stringify(status.sources)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const flushed = await agent.post('/v1/flush', '');
  if (flushed.status !== 200) throw new Error(`flush answered ${flushed.status}`);
  const status = (await agent.get('/v1/status')).body as Status;
  return Object.fromEntries(models.map((name) => [name, status.models.find((m) => m.name === name)!.lastClosedWindow!]));
}
