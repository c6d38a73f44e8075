// A DO's own Ed25519 identity (witnesses, the system issuer): made once on first use, kept
// only in the DO's SQLite `identity` table (singleton, did, public_key, pkcs8), which the
// owner's migrations create.
import { generateEd25519, importEd25519Private } from "../lib/crypto";
import { didKeyFromPublicKey } from "../lib/did";
import { toBase64Url } from "../lib/encoding";
import { one } from "./sqlite";

export interface DoIdentity {
  did: string;
  /** base64url of the raw 32-byte public key */
  publicKey: string;
  privateKey: CryptoKey;
}

/** Loads the identity, generating it the first time. Call inside blockConcurrencyWhile. */
export async function loadOrCreateIdentity(sql: SqlStorage): Promise<DoIdentity> {
  let row = one(sql.exec<{ did: string; public_key: ArrayBuffer; pkcs8: ArrayBuffer }>("SELECT * FROM identity"));
  if (!row) {
    const kp = await generateEd25519();
    const did = didKeyFromPublicKey(kp.publicKey);
    sql.exec("INSERT INTO identity (singleton, did, public_key, pkcs8) VALUES (1, ?, ?, ?)", did, kp.publicKey, kp.pkcs8);
    row = { did, public_key: kp.publicKey.buffer as ArrayBuffer, pkcs8: kp.pkcs8.buffer as ArrayBuffer };
  }
  return {
    did: row.did,
    publicKey: toBase64Url(new Uint8Array(row.public_key)),
    privateKey: await importEd25519Private(new Uint8Array(row.pkcs8)),
  };
}
