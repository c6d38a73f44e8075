import { describe, it, expect } from "vitest";
import { generateEd25519, importEd25519Private, sha256, sha256Hex, sign, verify } from "../../src/lib/crypto";
import { fromHex, toHex, utf8 } from "../../src/lib/encoding";

// RFC 8032 §7.1, TEST 1.
const RFC_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const RFC_SIG =
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410). */
const pkcs8FromSeed = (seedHex: string) => fromHex("302e020100300506032b657004220420" + seedHex);

describe("sha256", () => {
  it("FIPS 180-2 vectors", async () => {
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("strings are hashed as UTF-8, bytes as-is", async () => {
    expect(toHex(await sha256(utf8("abc")))).toBe(await sha256Hex("abc"));
    expect(await sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(await sha256Hex("abc"));
    expect(await sha256Hex("€")).toBe(await sha256Hex(new Uint8Array([0xe2, 0x82, 0xac])));
    const d = await sha256(new Uint8Array(0));
    expect(d).toBeInstanceOf(Uint8Array);
    expect(d.length).toBe(32);
  });
});

describe("Ed25519", () => {
  it("RFC 8032 test 1: signing reproduces the signature, and it verifies", async () => {
    const key = await importEd25519Private(pkcs8FromSeed(RFC_SECRET));
    const sig = await sign(key, new Uint8Array(0));
    expect(toHex(sig)).toBe(RFC_SIG);
    expect(await verify(fromHex(RFC_PUBLIC), fromHex(RFC_SIG), new Uint8Array(0))).toBe(true);
  });

  it("RFC 8032 test 1: tampering fails", async () => {
    const pub = fromHex(RFC_PUBLIC);
    const sig = fromHex(RFC_SIG);
    // Non-empty message
    expect(await verify(pub, sig, new Uint8Array([0]))).toBe(false);
    // Each half of the signature, flipped
    for (const i of [0, 31, 32, 63]) {
      const bad = sig.slice();
      bad[i]! ^= 0x01;
      expect(await verify(pub, bad, new Uint8Array(0))).toBe(false);
    }
    // Another key
    const other = pub.slice();
    other[5]! ^= 0x40;
    expect(await verify(other, sig, new Uint8Array(0))).toBe(false);
    // RFC 8032 test 2's public key
    expect(await verify(fromHex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"), sig, new Uint8Array(0))).toBe(false);
  });

  it("RFC 8032 test 2 (one-byte message)", async () => {
    const pub = fromHex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    const sig = fromHex(
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    );
    expect(await verify(pub, sig, new Uint8Array([0x72]))).toBe(true);
    expect(await verify(pub, sig, new Uint8Array([0x73]))).toBe(false);
    const key = await importEd25519Private(pkcs8FromSeed("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
    expect(toHex(await sign(key, new Uint8Array([0x72])))).toBe(toHex(sig));
  });

  it("malformed keys and signatures return false, never throw", async () => {
    const pub = fromHex(RFC_PUBLIC);
    const sig = fromHex(RFC_SIG);
    const empty = new Uint8Array(0);
    expect(await verify(pub.subarray(0, 31), sig, empty)).toBe(false);
    expect(await verify(new Uint8Array([...pub, 0]), sig, empty)).toBe(false);
    expect(await verify(new Uint8Array(0), sig, empty)).toBe(false);
    expect(await verify(pub, sig.subarray(0, 63), empty)).toBe(false);
    expect(await verify(pub, new Uint8Array([...sig, 0]), empty)).toBe(false);
    expect(await verify(pub, new Uint8Array(0), empty)).toBe(false);
    expect(await verify(pub, new Uint8Array(64), empty)).toBe(false);
    expect(await verify(pub, new Uint8Array(64).fill(0xff), empty)).toBe(false);
    // A 32-byte string that is not a valid curve point (y = 2^255 - 1 style garbage).
    expect(await verify(new Uint8Array(32).fill(0xff), sig, empty)).toBe(false);
    // Still works afterwards (no poisoned key cache).
    expect(await verify(pub, sig, empty)).toBe(true);
  });

  it("generateEd25519: sign → verify round trip, PKCS#8 re-import", async () => {
    const kp = await generateEd25519();
    expect(kp.publicKey.length).toBe(32);
    const msg = utf8("hello echonet");
    const sig = await sign(kp.privateKey, msg);
    expect(sig.length).toBe(64);
    expect(await verify(kp.publicKey, sig, msg)).toBe(true);
    expect(await verify(kp.publicKey, sig, utf8("hello echonet!"))).toBe(false);

    // Ed25519 is deterministic: the re-imported PKCS#8 key signs identically.
    const again = await importEd25519Private(kp.pkcs8);
    expect(toHex(await sign(again, msg))).toBe(toHex(sig));

    const other = await generateEd25519();
    expect(await verify(other.publicKey, sig, msg)).toBe(false);
  });
});
