// CIDv1 for chunks: raw codec (0x55), sha2-256 multihash, base32 lower ("bafkrei…").
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { sha256 } from "./crypto";

const RAW_CODEC = 0x55;
const SHA2_256 = 0x12;

/** The chunk CID for a sha256 digest already computed (e.g. while checking request auth). */
export function cidForDigest(sha256Digest: Uint8Array): string {
  return CID.createV1(RAW_CODEC, Digest.create(SHA2_256, sha256Digest)).toString();
}

export async function cidForBytes(bytes: Uint8Array): Promise<string> {
  return cidForDigest(await sha256(bytes));
}

/** The sha256 digest inside a chunk CID, or null unless it is a CIDv1 raw sha2-256 in base32. */
export function parseChunkCid(s: string): Uint8Array | null {
  if (!/^b[a-z2-7]+$/.test(s)) return null;
  try {
    const cid = CID.parse(s);
    if (cid.version !== 1 || cid.code !== RAW_CODEC || cid.multihash.code !== SHA2_256) return null;
    if (cid.multihash.digest.length !== 32 || cid.toString() !== s) return null;
    return cid.multihash.digest;
  } catch {
    return null;
  }
}
