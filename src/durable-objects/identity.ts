// A DO's own Ed25519 identity (witnesses, the system issuer): made once on first use, kept
// only in the DO's SQLite `identity` table (singleton, did, public_key, pkcs8), which the
// owner's migrations create.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { generateEd25519, importEd25519Private } from "../lib/crypto";
import { didKeyFromPublicKey } from "../lib/did";
import { toBase64Url } from "../lib/encoding";
import { migrate, one } from "./sqlite";

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

/**
 * A Durable Object that signs as itself: it runs its migrations (which must create the
 * `identity` table) and loads or makes its key before any request, and answers `identity()`.
 * Provisioning is idempotent: the key is made once and lives only in this DO.
 */
export abstract class SigningObject extends DurableObject<Env> {
  protected readonly sql: SqlStorage;
  protected did = "";
  protected publicKey = "";
  protected privateKey!: CryptoKey;

  constructor(ctx: DurableObjectState, env: Env, migrations: string[]) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, migrations);
      const id = await loadOrCreateIdentity(this.sql);
      this.did = id.did;
      this.publicKey = id.publicKey;
      this.privateKey = id.privateKey;
    });
  }

  async identity(): Promise<{ did: string; publicKey: string }> {
    return { did: this.did, publicKey: this.publicKey };
  }
}
