import { describe, it, expect } from "vitest";
import { cidForBytes, parseChunkCid } from "../../src/lib/cid";
import { sha256Hex } from "../../src/lib/crypto";
import { toHex, utf8 } from "../../src/lib/encoding";

// Independent RFC 4648 base32 (lowercase, no padding) to cross-check the multiformats output.
function base32(bytes: Uint8Array): string {
  const A = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += A[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += A[(value << (5 - bits)) & 31];
  return out;
}
const hexBytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
/** "b" + base32(0x01 version, 0x55 raw, 0x12 sha2-256, 0x20 length, digest). */
const expectedCid = (digestHex: string) => "b" + base32(hexBytes("01551220" + digestHex));

describe("chunk CIDs (CIDv1 raw sha2-256 base32)", () => {
  it("empty bytes", async () => {
    const cid = await cidForBytes(new Uint8Array(0));
    expect(cid).toBe("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    expect(cid).toBe(expectedCid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    expect(toHex(parseChunkCid(cid)!)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("hello world", async () => {
    const bytes = utf8("hello world");
    const cid = await cidForBytes(bytes);
    expect(cid.startsWith("bafkrei")).toBe(true);
    expect(cid).toBe(expectedCid(await sha256Hex(bytes)));
    expect(cid).toBe("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    const digest = parseChunkCid(cid);
    expect(digest).not.toBeNull();
    expect(toHex(digest!)).toBe(await sha256Hex(bytes));
    expect(toHex(digest!)).toBe("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
  });

  it("different bytes, different CIDs; always 59 chars", async () => {
    const a = await cidForBytes(new Uint8Array([1]));
    const b = await cidForBytes(new Uint8Array([2]));
    expect(a).not.toBe(b);
    expect(a.length).toBe(59);
    expect(b.length).toBe(59);
  });

  it("rejects CIDv0", () => {
    expect(parseChunkCid("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n")).toBeNull(); // sha256("") as CIDv0
  });

  it("rejects dag-pb CIDv1 with the same digest", () => {
    expect(parseChunkCid("bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")).toBeNull();
    expect(parseChunkCid("b" + base32(hexBytes("01701220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")))).toBeNull();
  });

  it("rejects other hashes and wrong digest lengths", () => {
    const d = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    // identity multihash (0x00)
    expect(parseChunkCid("b" + base32(hexBytes("01550020" + d)))).toBeNull();
    // sha2-512 code (0x13) with a 32-byte digest
    expect(parseChunkCid("b" + base32(hexBytes("01551320" + d)))).toBeNull();
    // sha2-256 with a truncated 16-byte digest
    expect(parseChunkCid("b" + base32(hexBytes("01551210" + d.slice(0, 32))))).toBeNull();
    // the sanity case: the same construction with the right fields parses
    expect(toHex(parseChunkCid("b" + base32(hexBytes("01551220" + d)))!)).toBe(d);
  });

  it("rejects uppercase, other bases and garbage", () => {
    const good = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    expect(parseChunkCid(good.toUpperCase())).toBeNull(); // "B…" base32upper
    expect(parseChunkCid("b" + good.slice(1).toUpperCase())).toBeNull();
    expect(parseChunkCid(good.slice(0, 10) + "A" + good.slice(11))).toBeNull();
    expect(parseChunkCid(good + "a")).toBeNull();
    expect(parseChunkCid(good.slice(0, -1))).toBeNull();
    expect(parseChunkCid(" " + good)).toBeNull();
    expect(parseChunkCid(good + "\n")).toBeNull();
    expect(parseChunkCid("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA")).toBeNull(); // base58btc CIDv1
    for (const bad of ["", "b", "bafkrei", "hello", "bafkrei!!!", "b1111", "not a cid", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk1"]) {
      expect(parseChunkCid(bad), bad).toBeNull();
    }
  });
});
