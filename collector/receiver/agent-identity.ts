import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { authorised, HttpError } from '../../shared/platform/http/http-helpers.js';

/** How the receiver authenticates agents (the receiver's config). */
export interface AgentCredentials {
  /** One bearer token every agent holds: it proves membership of the fleet, not which agent. */
  token?: string | undefined;
  /** A bearer token per agent, bound to that agent's `service.instance.id`. */
  agentTokens: readonly { instance: string; token: string }[];
  /** Mutual TLS: the client certificate's subject CN and DNS names are the agent's identity. */
  tls?: { clientCa?: string | undefined } | undefined;
}

/**
 * Who sent a request, as far as its credential proves it: the instance ids it may send windows
 * under (`bound`), or any (`unbound`: the shared fleet token, or no authentication on loopback).
 */
export type AgentIdentity = { bound: true; instances: ReadonlySet<string>; proof: string } | { bound: false };

/** The names a verified client certificate proves: its subject CN and its DNS subject alternative names. */
function certificateNames(socket: TLSSocket): string[] {
  const cert = socket.getPeerCertificate();
  const names: string[] = [];
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn);
  for (const san of (cert.subjectaltname ?? '').split(', ')) if (san.startsWith('DNS:')) names.push(san.slice(4));
  return names;
}

/**
 * Authenticates a request and says which identities its credential proves. A per-agent token
 * binds its instance; a verified client certificate binds its names; with both, an instance must
 * satisfy both. Throws 401 without a valid token when tokens are configured.
 */
export function identify(req: IncomingMessage, credentials: AgentCredentials): AgentIdentity {
  const tokensConfigured = credentials.token !== undefined || credentials.agentTokens.length > 0;
  const agent = credentials.agentTokens.find((a) => authorised(req, a.token));
  if (tokensConfigured && agent === undefined && !(credentials.token !== undefined && authorised(req, credentials.token))) {
    throw new HttpError('DW_ERR_API_UNAUTHORIZED', 'a valid "Authorization: Bearer <token>" header is required');
  }
  const fromCertificate = credentials.tls?.clientCa !== undefined ? certificateNames(req.socket as TLSSocket) : undefined;
  if (agent !== undefined && fromCertificate !== undefined) {
    const both = fromCertificate.includes(agent.instance) ? [agent.instance] : [];
    return { bound: true, instances: new Set(both), proof: `its token (instance '${agent.instance}') and its certificate (${fromCertificate.join(', ')})` };
  }
  if (agent !== undefined) return { bound: true, instances: new Set([agent.instance]), proof: `its token (instance '${agent.instance}')` };
  if (fromCertificate !== undefined) return { bound: true, instances: new Set(fromCertificate), proof: `its certificate (${fromCertificate.join(', ') || 'no names'})` };
  return { bound: false };
}

/** Refuses (403) a request carrying windows under an instance id its credential does not prove. */
export function checkInstances(identity: AgentIdentity, instances: Iterable<unknown>): void {
  if (!identity.bound) return;
  for (const instance of instances) {
    if (typeof instance === 'string' && identity.instances.has(instance)) continue;
    throw new HttpError('DW_ERR_API_FORBIDDEN',
      `service.instance.id '${String(instance).slice(0, 100)}' is not the identity ${identity.proof} proves; nothing in the request was taken`);
  }
}
