// did:key for Ed25519: "did:key:z" + base58btc(0xed 0x01 ‖ 32-byte public key).
import { base58btc } from "multiformats/bases/base58";

const ED25519_PUB_MULTICODEC = [0xed, 0x01];
export const DID_KEY_RE = /^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/;

export function didKeyFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new TypeError("Ed25519 public key must be 32 bytes");
  const bytes = new Uint8Array(34);
  bytes.set(ED25519_PUB_MULTICODEC, 0);
  bytes.set(publicKey, 2);
  return "did:key:" + base58btc.encode(bytes);
}

// Decoded keys are reused (a pure function of the DID): every committee witness decodes the
// author's did:key, and base58 decoding showed up in CPU profiles. Bounded; copies go out.
const decoded = new Map<string, Uint8Array | null>();
const DECODED_MAX = 4096;

/** The raw public key of an Ed25519 did:key, or null when it is anything else. */
export function publicKeyFromDidKey(did: string): Uint8Array | null {
  let key = decoded.get(did);
  if (key === undefined) {
    key = decodeDidKey(did);
    if (decoded.size >= DECODED_MAX) decoded.clear();
    decoded.set(did, key);
  }
  return key === null ? null : key.slice();
}

function decodeDidKey(did: string): Uint8Array | null {
  if (!did.startsWith("did:key:z")) return null;
  let bytes: Uint8Array;
  try {
    bytes = base58btc.decode(did.slice("did:key:".length));
  } catch {
    return null;
  }
  if (bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) return null;
  return bytes.slice(2);
}
