// Identities: an Ed25519 key pair and its did:key. Keys are exported as JSON with base64url
// fields so they can be written to a file (CLI) or localStorage (browser).
import { generateEd25519, importEd25519Private } from "../lib/crypto";
import { didKeyFromPublicKey, publicKeyFromDidKey } from "../lib/did";
import { fromBase64Url, toBase64Url } from "../lib/encoding";

export interface Identity {
  did: string;
  publicKey: Uint8Array;
  privateKey: CryptoKey;
}

/** The JSON form of an identity (keep it secret: it holds the private key). */
export interface ExportedIdentity {
  did: string;
  publicKey: string; // base64url, raw 32 bytes
  privateKey: string; // base64url, PKCS#8
}

export async function generateIdentity(): Promise<Identity & { pkcs8: Uint8Array }> {
  const kp = await generateEd25519();
  return { did: didKeyFromPublicKey(kp.publicKey), publicKey: kp.publicKey, privateKey: kp.privateKey, pkcs8: kp.pkcs8 };
}

export async function exportIdentity(id: Identity & { pkcs8: Uint8Array }): Promise<ExportedIdentity> {
  return { did: id.did, publicKey: toBase64Url(id.publicKey), privateKey: toBase64Url(id.pkcs8) };
}

/** Imports an exported identity; throws a TypeError when the fields do not fit together. */
export async function importIdentity(x: ExportedIdentity): Promise<Identity & { pkcs8: Uint8Array }> {
  if (!x || typeof x.did !== "string" || typeof x.privateKey !== "string") throw new TypeError("not an EchoNet identity (did, publicKey, privateKey)");
  const publicKey = publicKeyFromDidKey(x.did);
  if (!publicKey) throw new TypeError(`${x.did} is not an Ed25519 did:key`);
  if (typeof x.publicKey === "string" && toBase64Url(publicKey) !== x.publicKey) throw new TypeError("publicKey does not match the did:key");
  const pkcs8 = fromBase64Url(x.privateKey);
  const privateKey = await importEd25519Private(pkcs8);
  return { did: x.did, publicKey, privateKey, pkcs8 };
}

export { didKeyFromPublicKey, publicKeyFromDidKey };
