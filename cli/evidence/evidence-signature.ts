import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { EvidencePack } from './evidence-pack.js';

/** A signed evidence document: the pack, and an Ed25519 signature over its JSON text exactly as written. */
export interface SignedEvidence {
  evidence: EvidencePack;
  signature: { algorithm: 'ed25519'; publicKey: string; publicKeySha256: string; value: string };
}

/** The bytes that are signed: the pack's JSON (key order as built, no spaces). */
const signedBytes = (pack: EvidencePack): Buffer => Buffer.from(JSON.stringify(pack));

/** Signs a pack with an Ed25519 private key; the public key goes with it (its SHA-256 lets a reader check it is the expected one). */
export function signEvidence(pack: EvidencePack, key: KeyObject): SignedEvidence {
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  return {
    evidence: pack,
    signature: { algorithm: 'ed25519', publicKey, publicKeySha256: createHash('sha256').update(publicKey).digest('hex'), value: sign(null, signedBytes(pack), key).toString('base64') },
  };
}

/**
 * Whether a signed document is intact: its signature verifies against the key it carries and, when
 * `expected` is given, that key is the expected one (else anyone could re-sign an edited pack).
 */
export function verifyEvidence(doc: SignedEvidence, expected?: KeyObject): { ok: true } | { ok: false; problem: string } {
  let carried: KeyObject;
  try {
    carried = createPublicKey(doc.signature.publicKey);
  } catch {
    return { ok: false, problem: 'the signature carries no readable public key' };
  }
  if (expected !== undefined) {
    const want = expected.export({ type: 'spki', format: 'der' });
    if (!carried.export({ type: 'spki', format: 'der' }).equals(want)) return { ok: false, problem: 'signed with another key than the one given' };
  }
  if (!verify(null, signedBytes(doc.evidence), carried, Buffer.from(doc.signature.value, 'base64'))) return { ok: false, problem: 'the signature does not match the evidence: it was changed after signing' };
  return { ok: true };
}
