// Synchronous sha256 (for block hashes and Merkle trees, where an await would split a
// read-modify-write in a Durable Object).
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { toHex, utf8 } from "./encoding";

export const sha256Sync = (data: Uint8Array | string): Uint8Array => nobleSha256(typeof data === "string" ? utf8(data) : data);
export const sha256HexSync = (data: Uint8Array | string): string => toHex(sha256Sync(data));
