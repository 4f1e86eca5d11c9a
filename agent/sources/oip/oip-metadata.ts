import type { TensorMapping } from '../inference/oip-events.js';
import { upstreamRequest } from '../proxy/reverse-proxy.js';
import { isPlainObject } from '../json-value.js';

/** A tensor the server's model metadata declares (`GET /v2/models/{m}`). */
interface DeclaredTensor {
  name: string;
  shape?: unknown;
}


function declared(metadata: Record<string, unknown>, field: 'inputs' | 'outputs'): Map<string, DeclaredTensor> | undefined {
  const list = metadata[field];
  if (!Array.isArray(list) || list.length === 0) return undefined; // not declared (MLServer without model-settings tensors): nothing to check
  return new Map(list.filter(isPlainObject).filter((t) => typeof t.name === 'string').map((t) => [t.name as string, t as unknown as DeclaredTensor]));
}

/** Values a row of a declared shape holds, or undefined where a dimension past the batch is variable (-1). */
function rowWidth(shape: unknown): number | undefined {
  if (!Array.isArray(shape) || shape.length === 0) return undefined;
  const rest = shape.slice(1);
  if (!rest.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) return undefined;
  return (rest as number[]).reduce((a, b) => a * b, 1);
}

/**
 * Where a model's tensor mapping does not fit the server's metadata for it: a mapped tensor the
 * server does not declare, or one whose rows are not as wide as the mapping. Each problem names
 * the tensor. Tensors the server does not declare at all (an empty list) are not checked.
 */
export function metadataProblems(mapping: TensorMapping, metadata: unknown): string[] {
  if (!isPlainObject(metadata)) return ['the metadata is not a JSON object'];
  const problems: string[] = [];
  const check = (side: 'inputs' | 'outputs', tensor: string, width: number | undefined): void => {
    const tensors = declared(metadata, side);
    if (tensors === undefined) return;
    const found = tensors.get(tensor);
    if (found === undefined) {
      problems.push(`the server declares no ${side === 'inputs' ? 'input' : 'output'} tensor '${tensor}' (it declares ${[...tensors.keys()].map((n) => `'${n}'`).join(', ')})`);
      return;
    }
    const declaredWidth = rowWidth(found.shape);
    if (width !== undefined && declaredWidth !== undefined && declaredWidth !== width) {
      problems.push(`${side === 'inputs' ? 'input' : 'output'} tensor '${tensor}' has ${declaredWidth} values a row (shape ${JSON.stringify(found.shape)}), the mapping expects ${width}`);
    }
  };
  for (const m of mapping.inputs) check('inputs', m.tensor, 'columns' in m ? m.columns.length : 1);
  for (const m of mapping.outputs) check('outputs', m.tensor, m.role === 'probabilities' ? undefined : 1);
  return problems;
}

/**
 * The server's metadata for a model, or why it could not be read: `unreachable` (not listening or
 * not ready: a sidecar often starts before its server) or `failed` (another answer).
 */
export async function fetchMetadata(upstream: URL, serverModel: string, timeoutMs: number): Promise<{ metadata: unknown } | { unreachable: string } | { failed: string }> {
  const path = `/v2/models/${encodeURIComponent(serverModel)}`;
  const got = await upstreamRequest(upstream, { method: 'GET', path, timeoutMs, limitBytes: 1024 * 1024 });
  if ('error' in got) return { unreachable: got.error };
  if (got.status === 503) return { unreachable: 'the server is not ready (503)' };
  if (got.status !== 200) return { failed: `GET ${path} answered ${got.status}: ${(got.text ?? '(over 1 MiB)').slice(0, 200)}` };
  if (got.text === undefined) return { failed: `GET ${path} answered more than 1 MiB` };
  try {
    return { metadata: JSON.parse(got.text) as unknown };
  } catch {
    return { failed: `GET ${path} did not answer JSON` };
  }
}

/** What the check found for one server model: `/v1/status` `sources.oip.metadata`. */
export type MetadataVerdict = 'fits' | 'waiting for the server' | { problems: string[] } | { failed: string };

/** One model to check: its server name and mapping. */
export interface MetadataTarget extends TensorMapping {
  name: string;
  serverModel?: string;
}

/**
 * Checks each model's mapping against the server's metadata, setting `verdicts` (by server model).
 * Resolves after a first round with the problems it found (the caller fails the start, naming the
 * tensor). A server not up yet is retried in the background (every `retryMs`, doubling to a
 * minute); a mismatch found then goes to `lateMismatch` (logged as an error: stopping the agent
 * then would stop the proxy, and so the inference traffic through it).
 */
export async function checkMetadata(upstream: URL, targets: readonly MetadataTarget[], verdicts: Map<string, MetadataVerdict>,
  lateMismatch: (model: string, server: string, problems: string[]) => void,
  options: { firstTimeoutMs: number; retryMs: number; signal: AbortSignal }): Promise<{ model: string; server: string; problems: string[] }[]> {
  const once = async (t: MetadataTarget, timeoutMs: number): Promise<string[] | undefined> => {
    const server = t.serverModel ?? t.name;
    const got = await fetchMetadata(upstream, server, timeoutMs);
    if ('unreachable' in got) return undefined;
    if ('failed' in got) {
      verdicts.set(server, { failed: got.failed }); // the model may not be loaded yet: ask again
      return undefined;
    }
    const problems = metadataProblems(t, got.metadata);
    verdicts.set(server, problems.length === 0 ? 'fits' : { problems });
    return problems;
  };
  const pending: MetadataTarget[] = [];
  const found: { model: string; server: string; problems: string[] }[] = [];
  for (const t of targets.filter((m) => m.inputs.length > 0)) {
    verdicts.set(t.serverModel ?? t.name, 'waiting for the server');
    const problems = await once(t, options.firstTimeoutMs);
    if (problems === undefined) pending.push(t);
    else if (problems.length > 0) found.push({ model: t.name, server: t.serverModel ?? t.name, problems });
  }
  void (async () => {
    let wait = options.retryMs;
    while (pending.length > 0 && !options.signal.aborted) {
      await new Promise((r) => setTimeout(r, wait).unref());
      wait = Math.min(wait * 2, 60_000);
      for (const t of [...pending]) {
        const problems = await once(t, 5_000);
        if (problems === undefined) continue;
        pending.splice(pending.indexOf(t), 1);
        if (problems.length > 0) lateMismatch(t.name, t.serverModel ?? t.name, problems);
      }
    }
  })();
  return found;
}
