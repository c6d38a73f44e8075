// Event identity and signatures: id = hex sha256(JCS(event without sig)); sig = Ed25519 over
// the same canonical bytes by the author's did:key.
import { canonicalBytes } from "./jcs";
import { sha256Hex, sign, verify } from "./crypto";
import { fromBase64Url, toBase64Url } from "./encoding";
import { publicKeyFromDidKey } from "./did";

export interface EnvelopeLike {
  author: string;
  createdAt: string;
  sig?: string;
  [k: string]: unknown;
}

export function signingBytes(event: EnvelopeLike): Uint8Array {
  const { sig: _sig, ...unsigned } = event;
  return canonicalBytes(unsigned);
}

/** Rejects (never throws synchronously) when the event is not I-JSON. */
export async function eventIdOf(event: EnvelopeLike): Promise<string> {
  return sha256Hex(signingBytes(event));
}

export async function verifyEventSignature(event: EnvelopeLike): Promise<boolean> {
  let message: Uint8Array;
  try {
    message = signingBytes(event);
  } catch {
    return false;
  }
  return verifyEventSignatureOver(event, message);
}

/** As verifyEventSignature, with the signing bytes already computed (they also give the id). */
export async function verifyEventSignatureOver(event: EnvelopeLike, message: Uint8Array): Promise<boolean> {
  const publicKey = publicKeyFromDidKey(event.author);
  if (!publicKey || typeof event.sig !== "string") return false;
  let sig: Uint8Array;
  try {
    sig = fromBase64Url(event.sig);
  } catch {
    return false;
  }
  return verify(publicKey, sig, message);
}

export async function signEvent<T extends EnvelopeLike>(event: Omit<T, "sig">, privateKey: CryptoKey): Promise<T & { sig: string }> {
  const sig = toBase64Url(await sign(privateKey, signingBytes(event as unknown as EnvelopeLike)));
  return { ...(event as T), sig };
}

/** |createdAt − reference| ≤ skew. `reference` is the intake time, never a witness's own clock. */
export function isFresh(createdAt: string, referenceMs: number, skewMs: number): boolean {
  const t = Date.parse(createdAt);
  return Number.isFinite(t) && Math.abs(t - referenceMs) <= skewMs;
}
