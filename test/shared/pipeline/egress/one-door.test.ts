import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../helpers/run-cli.js';

/**
 * SPEC §4: one module sends bytes off the host. Product code outside shared/pipeline/egress/ may not import
 * an AWS client or an OpenTelemetry exporter, and may not open an outbound connection.
 */
const PRODUCT_DIRS = ['agent', 'collector', 'shared', 'cli'];
const DOOR = 'shared/pipeline/egress/';
/** Files allowed one named exception, with the reason. */
const EXEMPT: Record<string, { what: string; why: string }> = {
  'cli/commands/demo.ts': { what: 'fetch()', why: 'the demo posts events to the agent it started itself, on loopback' },
  'cli/local-api.ts': { what: 'fetch()', why: 'health and status ask a local agent or collector for /healthz, /v1/status and /v1/windows; it refuses any URL that is not loopback' },
  'agent/sources/proxy/reverse-proxy.ts': { what: 'an outbound HTTP request', why: 'the inference proxies forward requests to the server beside them (the OIP proxy also reads its model metadata, the OpenAI proxy asks for sampled prompt embeddings); their upstream must be loopback' },
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const RULES: [RegExp, string][] = [
  [/from '@aws-sdk\/client-[a-z-]+'|import\('@aws-sdk\/client-[a-z-]+'\)/, 'an AWS client'],
  [/['"]@opentelemetry\/(exporter-[a-z-]+|otlp-exporter-base|sdk-node)['"]/, 'an OpenTelemetry exporter or the SDK that builds them'],
  [/\bfetch\(/, 'fetch()'],
  [/import\s*\{[^}]*\b(request|get)\b[^}]*\}\s*from 'node:https?'|\b(https?)\.(request|get)\(/, 'an outbound HTTP request'],
  [/\b(net|tls)\.(connect|createConnection)\(|import\s*\{[^}]*\b(connect|createConnection)\b[^}]*\}\s*from 'node:(net|tls)'/, 'an outbound socket'],
  [/from 'node:dgram'|from 'undici'|from 'axios'/, 'another network client'],
];

describe('one door out', () => {
  const files = PRODUCT_DIRS.flatMap((d) => sources(join(ROOT, d))).map((f) => relative(ROOT, f));

  it('finds the product sources it guards', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('shared/pipeline/egress/egress.ts');
  });

  it('lets only shared/pipeline/egress/ reach off the host', () => {
    const offenders: string[] = [];
    for (const file of files) {
      if (file.startsWith(DOOR)) continue;
      const text = readFileSync(join(ROOT, file), 'utf8')
        .split('\n').filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line) && !/^import type /.test(line)).join('\n');
      for (const [pattern, what] of RULES) if (pattern.test(text) && EXEMPT[file]?.what !== what) offenders.push(`${file}: ${what}`);
    }
    expect(offenders).toEqual([]);
  });

  it('would catch a module that sends on its own', () => {
    const sneaky = "import { request } from 'node:https';\nconst c = await import('@aws-sdk/client-cloudwatch');\nawait fetch(url);";
    const caught = RULES.filter(([pattern]) => pattern.test(sneaky)).map(([, what]) => what);
    expect(caught).toEqual(['an AWS client', 'fetch()', 'an outbound HTTP request']);
  });
});
