import { readFileSync } from 'node:fs';
import { isLoopback } from '../shared/platform/config/config-file.js';
import { DwError } from '../shared/platform/errors.js';

/**
 * The commands' client of a running agent or collector on this host (`health`, `status`): a GET
 * of its local API, loopback only (nothing but shared/pipeline/egress/ talks to other hosts).
 */
export interface LocalApi {
  base: URL;
  token: string | undefined;
}

/** The API at `url` (loopback, else DW_ERR_USAGE), with the bearer token read from `tokenFile` when given. */
export function localApi(url: string, tokenFile?: string): LocalApi {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new DwError('DW_ERR_USAGE', `--url '${url.slice(0, 200)}' is not a URL`);
  }
  if (!isLoopback(base.hostname.replace(/^\[|\]$/g, ''))) {
    throw new DwError('DW_ERR_USAGE', `--url must be a loopback address (127.0.0.1, ::1, localhost), not '${base.hostname}'`);
  }
  let token: string | undefined;
  if (tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new DwError('DW_ERR_USAGE', `--token-file: ${(err as Error).message}`);
    }
  }
  return { base, token };
}

/** GET `path`: the status and the body (JSON when it parses, else text), or the connection's error. */
export async function localGet(api: LocalApi, path: string, timeoutMs: number): Promise<{ status: number; body: unknown } | { error: string }> {
  const url = new URL(path, api.base);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: api.token === undefined ? {} : { authorization: `Bearer ${api.token}` } });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: the text as it came
    }
    return { status: res.status, body };
  } catch (err) {
    return { error: `${url.href}: ${(err as Error).message}` };
  }
}
