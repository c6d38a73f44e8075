// Request auth (DESIGN §3): `Authorization: EchoNet did="<did>", ts="<ISO time>", sig="<b64url>"`,
// an Ed25519 signature by the did:key over "<METHOD> <path+query>\n<ts>\n<hex sha256(body)>".
import { verify, sign, sha256, sha256Hex } from "./crypto";
import { publicKeyFromDidKey, DID_KEY_RE } from "./did";
import { fromBase64Url, toBase64Url, toHex, utf8 } from "./encoding";

const HEADER_RE = /^EchoNet did="([^"]+)", ts="([^"]+)", sig="([^"]+)"$/;
const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const requestAuthMessage = (method: string, pathWithQuery: string, ts: string, bodyHashHex: string): string =>
  `${method.toUpperCase()} ${pathWithQuery}\n${ts}\n${bodyHashHex}`;

/** On success, `bodySha256` is the digest the signature covered (callers reuse it, e.g. as the CID). */
export type RequestAuthResult = { ok: true; did: string; bodySha256: Uint8Array } | { ok: false; reason: string };

/** Verifies a request's auth header; `reason` is safe to show the client. Never throws. */
export async function verifyRequestAuth(
  header: string | null | undefined,
  method: string,
  pathWithQuery: string,
  body: Uint8Array,
  now: number,
  skewMs: number,
): Promise<RequestAuthResult> {
  if (!header) return { ok: false, reason: "missing Authorization header (EchoNet did, ts, sig)" };
  const m = HEADER_RE.exec(header.trim());
  if (!m) return { ok: false, reason: 'malformed Authorization header; expected EchoNet did="…", ts="…", sig="…"' };
  const [, did, ts, sigText] = m as unknown as [string, string, string, string];
  const publicKey = DID_KEY_RE.test(did) ? publicKeyFromDidKey(did) : null;
  if (!publicKey) return { ok: false, reason: "did is not an Ed25519 did:key" };
  const t = Date.parse(ts);
  if (!ISO_MS_RE.test(ts) || !Number.isFinite(t)) return { ok: false, reason: "ts is not an ISO-8601 UTC time with milliseconds" };
  if (Math.abs(now - t) > skewMs) return { ok: false, reason: "ts is outside the accepted clock skew" };
  let sig: Uint8Array;
  try {
    sig = fromBase64Url(sigText);
  } catch {
    return { ok: false, reason: "sig is not base64url" };
  }
  const bodySha256 = await sha256(body);
  const msg = utf8(requestAuthMessage(method, pathWithQuery, ts, toHex(bodySha256)));
  if (!(await verify(publicKey, sig, msg))) return { ok: false, reason: "signature does not verify" };
  return { ok: true, did, bodySha256 };
}

/** Client side: the header value for a request. */
export async function requestAuthHeader(
  did: string,
  privateKey: CryptoKey,
  method: string,
  pathWithQuery: string,
  body: Uint8Array,
  ts = new Date().toISOString(),
): Promise<string> {
  const sig = await sign(privateKey, utf8(requestAuthMessage(method, pathWithQuery, ts, await sha256Hex(body))));
  return `EchoNet did="${did}", ts="${ts}", sig="${toBase64Url(sig)}"`;
}
