// Ad interaction tokens (DESIGN §7): `v1.<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`,
// signed by the deployment with a 256-bit secret that is made once and kept in one AdMarket
// DO (the "keyring" instance). Shards sign, the /v1/ads/events route verifies; both import the
// key once per isolate. HMAC rather than Ed25519: signing and verifying are both ours, and an
// HMAC costs a few microseconds where every auction makes one.
import { z } from "zod";
import { fromBase64Url, toBase64Url, utf8 } from "../lib/encoding";

export const TokenClaims = z.strictObject({
  /** auction id */
  a: z.string().regex(/^[0-9a-f]{32}$/),
  /** campaign id */
  c: z.string().regex(/^[0-9a-f]{64}$/),
  /** lease (budget slice) the price was reserved from */
  l: z.string().min(1).max(128),
  /** price in units, per impression (cpm) or per click (cpc) */
  p: z.string().regex(/^[1-9][0-9]{0,29}$/),
  m: z.enum(["cpm", "cpc"]),
  /** publisher did */
  pub: z.string().min(1).max(200),
  /** expiresAt, ms since the epoch */
  e: z.number().int(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

export const importTokenKey = (raw: Uint8Array): Promise<CryptoKey> =>
  crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);

export async function signToken(key: CryptoKey, claims: TokenClaims): Promise<string> {
  const payload = toBase64Url(utf8(JSON.stringify(claims)));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(`v1.${payload}`)));
  return `v1.${payload}.${toBase64Url(mac)}`;
}

/** The claims of a token this deployment signed, or null (forged, altered, malformed). Never throws. */
export async function verifyToken(key: CryptoKey, token: string): Promise<TokenClaims | null> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== "v1") return null;
  try {
    const mac = fromBase64Url(parts[2]!);
    if (mac.length !== 32) return null;
    if (!(await crypto.subtle.verify("HMAC", key, mac, utf8(`v1.${parts[1]}`)))) return null;
    const parsed = TokenClaims.safeParse(JSON.parse(new TextDecoder().decode(fromBase64Url(parts[1]!))));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
