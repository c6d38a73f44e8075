// Hashing and Ed25519 through WebCrypto. Keys travel as raw 32-byte public keys and PKCS#8
// private keys; signatures as 64 raw bytes (base64url on the wire).
import { toHex, utf8 } from "./encoding";

export async function sha256(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? utf8(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export const sha256Hex = async (data: Uint8Array | string): Promise<string> => toHex(await sha256(data));

export interface Ed25519KeyPair {
  publicKey: Uint8Array; // raw 32 bytes
  privateKey: CryptoKey;
  pkcs8: Uint8Array;
}

export async function generateEd25519(): Promise<Ed25519KeyPair> {
  const kp = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = new Uint8Array((await crypto.subtle.exportKey("raw", kp.publicKey)) as ArrayBuffer);
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", kp.privateKey)) as ArrayBuffer);
  return { publicKey, privateKey: kp.privateKey, pkcs8 };
}

export async function importEd25519Private(pkcs8: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
}

export async function sign(privateKey: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, message));
}

// Imported public keys are reused: a verify is ~60 µs, an import costs about as much again. The
// cache holds imported keys, not the import's promise: a promise shared across requests is
// bound to the one that created it (DECISIONS 175).
const publicKeyCache = new Map<string, CryptoKey>();
const PUBLIC_KEY_CACHE_MAX = 4096;

/** The imported key: at once from the cache, else imported (and cached). */
function importPublic(publicKey: Uint8Array): CryptoKey | Promise<CryptoKey> {
  const k = toHex(publicKey);
  return (
    publicKeyCache.get(k) ??
    crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]).then((key) => {
      if (publicKeyCache.size >= PUBLIC_KEY_CACHE_MAX) publicKeyCache.clear();
      publicKeyCache.set(k, key);
      return key;
    })
  );
}

/** False for any malformed key or signature, never a throw. */
export async function verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify({ name: "Ed25519" }, await importPublic(publicKey), signature, message);
  } catch {
    return false;
  }
}
