import { z } from "zod";
import { DID_KEY_RE } from "../lib/did";
import { parseChunkCid } from "../lib/cid";

export const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters");
export const Did = z.string().regex(DID_KEY_RE, "expected an Ed25519 did:key (did:key:z6Mk…)");

const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** ISO-8601 UTC with milliseconds, and a real instant (no 2026-02-31). */
export const IsoTime = z
  .string()
  .regex(ISO_MS_RE, "expected ISO-8601 UTC with milliseconds, e.g. 2026-11-27T01:02:03.456Z")
  .refine((s) => {
    const t = Date.parse(s);
    return Number.isFinite(t) && new Date(t).toISOString() === s;
  }, "not a valid instant");

/** ECHO base units: a positive integer as a decimal string, no leading zeros. */
export const Amount = z
  .string()
  .regex(/^[1-9][0-9]{0,29}$/, "expected a positive integer number of base units as a decimal string");

export const Nonce = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1-64 characters of [A-Za-z0-9_-]");
/** Ed25519 signature: 64 bytes, base64url without padding. */
export const Signature = z.string().regex(/^[A-Za-z0-9_-]{85}[AQgw]$/, "expected a 64-byte base64url signature");
export const Tag = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "expected a lowercase tag of 1-32 characters");
export const Lang = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "expected a BCP 47 language tag");
export const ChunkCid = z
  .string()
  .max(100)
  .refine((s) => parseChunkCid(s) !== null, "expected a CIDv1 raw sha2-256 base32 chunk id (bafkrei…)");
export const HttpUrl = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === "https:" || u.protocol === "http:";
    } catch {
      return false;
    }
  }, "expected an absolute http(s) URL");
