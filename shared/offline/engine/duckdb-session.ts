import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DwError } from '../../platform/errors.js';

/** How much of the machine a build may take. */
export interface EngineLimits {
  /** DuckDB's memory limit in MiB: beyond it, work spills to a temporary folder. */
  memoryMiB: number;
  /** Worker threads (default: every core). With one, a build is repeatable bit for bit. */
  threads?: number;
}

/**
 * One DuckDB database for one build, in memory up to its limit and spilling beyond it to a private
 * temporary folder (mode 0700), removed on close: tables larger than the limit live on disk.
 */
export class EngineSession {
  private constructor(private readonly instance: DuckDBInstance, private readonly connection: DuckDBConnection, private readonly folder: string) {}

  static async open(limits: EngineLimits): Promise<EngineSession> {
    const folder = mkdtempSync(join(tmpdir(), 'driftwatch-engine-'));
    const threads = limits.threads ?? availableParallelism();
    try {
      const instance = await DuckDBInstance.create(':memory:', {
        memory_limit: `${limits.memoryMiB}MB`,
        threads: String(threads),
        temp_directory: join(folder, 'spill'),
        // Nothing depends on the rows' order but the fit's split, which is input order with one thread either way.
        preserve_insertion_order: 'false',
        enable_external_access: 'true',
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
      });
      return new EngineSession(instance, await instance.connect(), folder);
    } catch (err) {
      rmSync(folder, { recursive: true, force: true });
      throw new DwError('DW_ERR_INTERNAL', `cannot start the columnar engine: ${(err as Error).message}`, {}, { cause: err });
    }
  }

  /** Runs a statement that returns nothing the caller needs. */
  async run(sql: string): Promise<void> {
    const t = performance.now();
    await this.connection.run(sql);
    trace(sql, t);
  }

  /** Every row of a query, as objects of plain JS values (BIGINT as number). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const t = performance.now();
    const reader = await this.connection.runAndReadAll(sql);
    trace(sql, t);
    return reader.getRowObjectsJS().map((row) => {
      const out: Record<string, unknown> = {};
      for (const key in row) out[key] = plain(row[key]);
      return out;
    });
  }

  /** Rows of a query a chunk at a time (bounded memory whatever its length). */
  async *stream(sql: string): AsyncGenerator<Record<string, unknown>> {
    const result = await this.connection.stream(sql);
    for await (const rows of result.yieldRowObjectJs()) {
      for (const row of rows) {
        const out: Record<string, unknown> = {};
        for (const key in row) out[key] = plain(row[key]);
        yield out;
      }
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/** BIGINTs as numbers (counts fit 2^53), lists element-wise; other values as they are. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** `DW_ENGINE_TRACE=1` prints each statement's time and start on stderr (for profiling a build); `full`, with the whole statement. */
function trace(sql: string, started: number): void {
  if (process.env.DW_ENGINE_TRACE === '1' || process.env.DW_ENGINE_TRACE === 'full') process.stderr.write(`engine: ${(performance.now() - started).toFixed(0)} ms (at ${performance.now().toFixed(0)}): ${(process.env.DW_ENGINE_TRACE === 'full' ? sql : sql.slice(0, 100)).replace(/\s+/g, ' ')}\n`);
}
