import type { Logger } from 'pino';
import type { FileSourceConfig } from '../../config/file-tail-config.js';
import type { SourceOffsetsStore } from '../../../shared/pipeline/state/source-offsets-store.js';
import type { BodyItem } from '../event-body.js';
import { FileTail, type TailTotals } from './file-tail.js';
import { lineEvent, type LineProblem } from './line-events.js';
import { UnreadCounts } from '../source-counts.js';

/** A log file source: its tail, the lines it turned into events and those it could not. */
export class FileSource {
  readonly tail: FileTail;
  private readonly unreadCounts = new UnreadCounts<LineProblem>();
  readonly totals = { events: 0, unread: this.unreadCounts.counts };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly config: FileSourceConfig, store: SourceOffsetsStore, ingest: (items: readonly BodyItem[]) => void, busy: () => boolean,
    private readonly log: Logger) {
    this.tail = new FileTail({ source: config.path, pattern: config.path, startAt: config.startAt, maxLineBytes: config.maxLineBytes, chunkBytes: 1024 * 1024 },
      store, (lines) => {
        const items: BodyItem[] = [];
        for (const { line, path, offset } of lines) {
          const event = lineEvent(line, config);
          if (typeof event === 'string') this.unread(event, path, offset);
          else items.push({ index: items.length, value: event });
        }
        this.totals.events += items.length;
        if (items.length > 0) ingest(items);
      }, busy, log);
  }

  /** Follows the files until stop(). */
  start(): void {
    const turn = (): void => {
      if (this.stopped) return;
      let more = false;
      try {
        more = this.tail.turn();
      } catch (err) {
        this.log.error({ path: this.config.path, err: (err as Error).message }, 'Reading a followed file failed; trying again next turn.');
      }
      this.timer = setTimeout(turn, more ? 0 : this.config.pollMs);
    };
    turn();
  }

  /** Stops reading; the tail keeps its offsets for the final checkpoint (close it after). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  status(): TailTotals & { path: string; model: string; events: number; unread: Partial<Record<LineProblem, number>> } {
    return { path: this.config.path, model: this.config.model, ...this.tail.totals, ...this.totals };
  }

  private unread(reason: LineProblem, path: string, offset: number): void {
    this.unreadCounts.count(reason, () => {
      const why = { not_json: 'is not JSON', not_object: 'is not a JSON object', no_features: `has no features where the mapping looks (${this.config.features ?? Object.values(this.config.fields ?? {}).join(', ')})` }[reason];
      this.log.warn({ path, offset, reason }, `The line at byte ${offset} of ${path} ${why}; it is not counted (logged once; /v1/status counts every one).`);
    });
  }
}
