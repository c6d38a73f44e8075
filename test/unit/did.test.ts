import { describe, it, expect } from "vitest";
import { base58btc } from "multiformats/bases/base58";
import { DID_KEY_RE, didKeyFromPublicKey, publicKeyFromDidKey } from "../../src/lib/did";
import { fromHex, toHex } from "../../src/lib/encoding";
import { generateEd25519 } from "../../src/lib/crypto";

// Ed25519 examples from the W3C did:key specification, with the raw public keys they carry
// (decoded independently: base58btc → 0xed 0x01 ‖ key).
const W3C_VECTORS: [string, string][] = [
  ["did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"],
  ["did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG", "4cb5abf6ad79fbf5abbccafcc269d85cd2651ed4b885b5869f241aedf0a5ba29"],
  ["did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf", "7422b9887598068e32c4448a949adb290d0f4e35b9e01b0ee5f1a1e600fe2674"],
];

// A minimal, independent base58btc (Bitcoin alphabet) encoder used to cross-check.
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function base58(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let s = "";
  while (n > 0n) {
    s = ALPHABET[Number(n % 58n)] + s;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    s = "1" + s;
  }
  return s;
}

describe("did:key (Ed25519)", () => {
  for (const [did, keyHex] of W3C_VECTORS) {
    it(`decodes and re-encodes ${did}`, () => {
      const pk = publicKeyFromDidKey(did);
      expect(pk).not.toBeNull();
      expect(pk!.length).toBe(32);
      expect(toHex(pk!)).toBe(keyHex);
      expect(didKeyFromPublicKey(pk!)).toBe(did);
      expect(DID_KEY_RE.test(did)).toBe(true);
      // multicodec prefix 0xed 0x01
      const raw = base58btc.decode(did.slice("did:key:".length));
      expect(raw.length).toBe(34);
      expect([raw[0], raw[1]]).toEqual([0xed, 0x01]);
    });
  }

  it("RFC 8032 test 1 public key maps to its did:key (checked with an independent base58)", () => {
    const pk = fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    const expected = "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw";
    const prefixed = new Uint8Array([0xed, 0x01, ...pk]);
    expect("did:key:z" + base58(prefixed)).toBe(expected);
    expect(didKeyFromPublicKey(pk)).toBe(expected);
    expect(toHex(publicKeyFromDidKey(expected)!)).toBe(toHex(pk));
  });

  it("round-trips generated keys and always yields z6Mk…", async () => {
    for (let i = 0; i < 5; i++) {
      const { publicKey } = await generateEd25519();
      const did = didKeyFromPublicKey(publicKey);
      expect(did).toMatch(DID_KEY_RE);
      expect(did).toBe("did:key:z" + base58(new Uint8Array([0xed, 0x01, ...publicKey])));
      expect(toHex(publicKeyFromDidKey(did)!)).toBe(toHex(publicKey));
    }
  });

  it("edge keys (all zeros, all 0xff) round-trip", () => {
    for (const pk of [new Uint8Array(32), new Uint8Array(32).fill(0xff)]) {
      const did = didKeyFromPublicKey(pk);
      expect(did.startsWith("did:key:z6Mk")).toBe(true);
      expect(toHex(publicKeyFromDidKey(did)!)).toBe(toHex(pk));
    }
  });

  it("didKeyFromPublicKey rejects keys that are not 32 bytes", () => {
    expect(() => didKeyFromPublicKey(new Uint8Array(31))).toThrow(TypeError);
    expect(() => didKeyFromPublicKey(new Uint8Array(33))).toThrow(TypeError);
    expect(() => didKeyFromPublicKey(new Uint8Array(0))).toThrow(TypeError);
  });

  it("rejects a wrong multicodec", () => {
    const key = new Uint8Array(32).fill(7);
    // secp256k1-pub (0xe7 0x01), x25519-pub (0xec 0x01), and a swapped prefix.
    for (const prefix of [[0xe7, 0x01], [0xec, 0x01], [0x01, 0xed], [0xed, 0x00]]) {
      const did = "did:key:z" + base58(new Uint8Array([...prefix, ...key]));
      expect(publicKeyFromDidKey(did)).toBeNull();
    }
    // A secp256k1 did:key (0xe7 0x01 ‖ 33-byte compressed key).
    expect(publicKeyFromDidKey("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")).toBeNull();
  });

  it("rejects a wrong length", () => {
    for (const n of [0, 31, 33, 64]) {
      const did = "did:key:z" + base58(new Uint8Array([0xed, 0x01, ...new Uint8Array(n).fill(9)]));
      expect(publicKeyFromDidKey(did)).toBeNull();
    }
    const good = W3C_VECTORS[0]![0];
    expect(publicKeyFromDidKey(good.slice(0, -1))).toBeNull();
    expect(publicKeyFromDidKey(good + "1")).toBeNull(); // trailing char changes the value/length
  });

  it("rejects non-base58 characters", () => {
    const good = W3C_VECTORS[0]![0];
    for (const bad of ["0", "O", "I", "l", "+", "/", "=", " "]) {
      expect(publicKeyFromDidKey(good.slice(0, 20) + bad + good.slice(21))).toBeNull();
    }
  });

  it("rejects a missing or wrong multibase prefix and other methods", () => {
    const good = W3C_VECTORS[0]![0];
    const body = good.slice("did:key:z".length);
    expect(publicKeyFromDidKey("did:key:" + body)).toBeNull();
    expect(publicKeyFromDidKey("did:key:Z" + body)).toBeNull();
    expect(publicKeyFromDidKey("did:key:u" + body)).toBeNull();
    expect(publicKeyFromDidKey("did:web:z" + body)).toBeNull();
    expect(publicKeyFromDidKey("DID:KEY:z" + body)).toBeNull();
    expect(publicKeyFromDidKey(" " + good)).toBeNull();
    expect(publicKeyFromDidKey("")).toBeNull();
    expect(publicKeyFromDidKey("did:key:z")).toBeNull();
  });
});
