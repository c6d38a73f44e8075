// Kademlia maths and provider records (DESIGN §6): pure functions, no I/O.
// IDs are 256-bit, written as 64 lowercase hex. Distance is XOR; comparing two distances to the
// same target is comparing their hex strings (equal length, lowercase), so no BigInt is needed.
import { canonicalBytes } from "./jcs";
import { sha256HexSync } from "./hash";
import { fromBase64Url, fromHex, toBase64Url, toHex } from "./encoding";
import { sign, verify } from "./crypto";
import { publicKeyFromDidKey } from "./did";

export const K = 20;
export const ALPHA = 3;
export const ID_BITS = 256;

/** Node ID of a DID, key ID of a key string: sha256 of the UTF-8 string, hex. */
export const nodeIdOf = (did: string): string => sha256HexSync(did);
// Key IDs are hashed once per key (records travel in batches and are looked at by several
// steps: publish, STORE checks, storage). Bounded.
const keyIds = new Map<string, string>();
export const keyIdOf = (key: string): string => {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = sha256HexSync(key);
    if (keyIds.size >= 50_000) keyIds.clear();
    keyIds.set(key, id);
  }
  return id;
};

/** XOR distance of two ids as 64 hex characters. */
export function xorHex(a: string, b: string): string {
  let out = "";
  for (let i = 0; i < 64; i += 8) {
    const x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    out += x.toString(16).padStart(8, "0");
  }
  return out;
}

/**
 * The k-bucket of `other` in `self`'s table: the length of their common prefix in bits
 * (0 = differs in the first bit, the farthest half of the space; 255 = differs only in the last).
 * Equal ids have no bucket (-1).
 */
export function bucketIndex(self: string, other: string): number {
  const d = xorHex(self, other);
  for (let i = 0; i < 64; i++) {
    const nibble = parseInt(d[i]!, 16);
    if (nibble !== 0) return i * 4 + (Math.clz32(nibble) - 28);
  }
  return -1;
}

/** Sorts ids (or objects with an id) by XOR distance to target, closest first; ties by id. */
export function byDistance<T extends { id: string }>(target: string, items: readonly T[]): T[] {
  const t = idWords(target);
  return items
    .map((item) => ({ item, w: idWords(item.id) }))
    .sort((a, b) => compareDistance(t, a.w, b.w))
    .map((x) => x.item);
}

// An ID as eight 32-bit words, parsed once per ID (every FIND_NODE sorts the whole table by
// distance; hex-string XORs per comparison showed up in CPU profiles). Bounded.
const words = new Map<string, Uint32Array>();
const WORDS_MAX = 50_000;

export function idWords(id: string): Uint32Array {
  let w = words.get(id);
  if (!w) {
    w = new Uint32Array(8);
    for (let i = 0; i < 8; i++) w[i] = parseInt(id.slice(i * 8, i * 8 + 8), 16) >>> 0;
    if (words.size >= WORDS_MAX) words.clear();
    words.set(id, w);
  }
  return w;
}

/** Negative when `a` is closer to `t` (XOR metric), positive when farther, 0 when equal: the order of xorHex strings. */
export function compareDistance(t: Uint32Array, a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < 8; i++) {
    const da = (t[i]! ^ a[i]!) >>> 0;
    const db = (t[i]! ^ b[i]!) >>> 0;
    if (da !== db) return da < db ? -1 : 1;
  }
  return 0;
}

/** A uniformly random id whose bucket in `self`'s table is `bucket` (for bucket refresh). */
export function randomIdInBucket(self: string, bucket: number): string {
  const selfBytes = fromHex(self);
  const out = crypto.getRandomValues(new Uint8Array(32));
  for (let bit = 0; bit <= bucket; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    const want = bit < bucket ? selfBytes[byte]! & mask : ~selfBytes[byte]! & mask;
    out[byte] = (out[byte]! & ~mask) | want;
  }
  return toHex(out);
}

// ---- provider records ----

export interface ProviderRecord {
  /** the key string (a CID for chunks); its key ID is sha256(key) */
  key: string;
  /** the provider's did:key (Ed25519) */
  provider: string;
  /** where the provider can be reached (absolute http(s) URL), optional */
  addr?: string;
  /** ISO-8601 UTC with milliseconds */
  expiresAt: string;
  /** Ed25519 over JCS({key, provider, addr?, expiresAt}), base64url */
  sig: string;
}

export type UnsignedProviderRecord = Omit<ProviderRecord, "sig">;

/** The signed bytes: RFC 8785 JCS of the record without `sig` (an absent addr is absent). */
export function providerRecordBytes(r: UnsignedProviderRecord): Uint8Array {
  const body: Record<string, string> = { key: r.key, provider: r.provider, expiresAt: r.expiresAt };
  if (r.addr !== undefined) body.addr = r.addr;
  return canonicalBytes(body);
}

export async function signProviderRecord(r: UnsignedProviderRecord, privateKey: CryptoKey): Promise<ProviderRecord> {
  const sig = toBase64Url(await sign(privateKey, providerRecordBytes(r)));
  return r.addr === undefined ? { key: r.key, provider: r.provider, expiresAt: r.expiresAt, sig } : { ...r, sig };
}

/** True when the record's signature verifies under its provider's did:key. Never throws. */
export async function verifyProviderRecord(r: ProviderRecord): Promise<boolean> {
  const pub = publicKeyFromDidKey(r.provider);
  if (!pub) return false;
  let sig: Uint8Array;
  try {
    sig = fromBase64Url(r.sig);
  } catch {
    return false;
  }
  return verify(pub, sig, providerRecordBytes(r));
}

/**
 * An external contact's addr that names one of our own hosted nodes' RPC URLs is never called
 * over HTTP (hosted nodes talk through DO bindings): returns the hosted id it names, or null.
 */
export function hostedIdInAddr(addr: string): string | null {
  try {
    const m = /\/v1\/dht\/nodes\/([0-9a-f]{64})\/rpc\/?$/.exec(new URL(addr).pathname);
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}
