import { z } from 'zod';
import { isLoopback } from '../../shared/platform/config/config-file.js';

/**
 * The base URL of the server a proxy source sits in front of, e.g. http://127.0.0.1:8080: on this
 * host (loopback) only, since only the egress door sends bytes off the host.
 */
export function upstreamSchema(server: string): z.ZodString {
  return z.string().url().refine((u) => !URL.canParse(u) || isLoopback(new URL(u).hostname.replace(/^\[|\]$/g, '')),
    `must be on this host (loopback): the proxy sits beside the ${server}, and only the egress door sends bytes off the host`);
}
