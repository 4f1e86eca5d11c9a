/**
 * `npm run build`'s second step: the CLI as one ES module and a chunk per command, over the
 * per-file output of `tsc` in dist/cli/main.js.
 *
 * Why: Node 20 loads an ES module graph file by file (resolve, stat, read, compile), and a
 * `baseline build` loaded ~350 files before its first query (zod alone is 99, the DuckDB API 124):
 * about 60 ms of a 0.8 s build of 0.5 M rows (docs/performance.md).
 *
 * Bundled: driftwatch's own code and the pure-JavaScript packages in `BUNDLED`. Every other package
 * stays in node_modules as installed and is loaded from there at run time: native addons (DuckDB's
 * bindings, better-sqlite3), and packages that find files or hook module loading at run time
 * (pino's worker transports, OpenTelemetry, the AWS SDK, protobufjs). The bundle targets the Node
 * the package supports (`engines`), and each chunk has a source map (used under
 * `DRIFTWATCH_DEBUG=1`).
 *
 *   tsx scripts/bundle-cli.ts
 */
import { build, type Plugin } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Packages bundled (name or scope): many small files each, no native code, no files read at run time. */
const BUNDLED = ['zod', 'commander', '@duckdb/node-api', 'csv-parse', 'tdigest', 'bintrees', 'yaml', '@stdlib/'];

const bundled = (specifier: string): boolean =>
  BUNDLED.some((name) => (name.endsWith('/') ? specifier.startsWith(name) : specifier === name || specifier.startsWith(`${name}/`)));

/** Leaves every bare import outside `BUNDLED` (and Node's own modules) to be loaded at run time. */
const onlyBundled: Plugin = {
  name: 'only-bundled',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (bundled(args.path) ? undefined : { path: args.path, external: true }));
  },
};

const root = fileURLToPath(new URL('..', import.meta.url));
// Chunk names carry a content hash: last build's would otherwise stay beside this one's.
rmSync(join(root, 'dist/cli/chunks'), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { main: 'cli/main.ts' },
  outdir: 'dist/cli',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  plugins: [onlyBundled],
  // The bundled CommonJS packages (the DuckDB API) require their own dependencies at run time.
  banner: { js: "import { createRequire as __dwCreateRequire } from 'node:module'; const require = __dwCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
