import { describe, it, expect, beforeAll } from "vitest";
import { eventIdOf, isFresh, signEvent, signingBytes, verifyEventSignature, type EnvelopeLike } from "../../src/lib/events";
import { canonicalize } from "../../src/lib/jcs";
import { generateEd25519, sha256Hex, verify, type Ed25519KeyPair } from "../../src/lib/crypto";
import { didKeyFromPublicKey } from "../../src/lib/did";
import { fromBase64Url, fromUtf8, toBase64Url } from "../../src/lib/encoding";

describe("events", () => {
  let kp: Ed25519KeyPair;
  let did: string;
  let other: Ed25519KeyPair;
  const unsigned = (author: string): EnvelopeLike => ({
    v: 1,
    kind: "content.post",
    author,
    nonce: "k3J9-abc_1",
    createdAt: "2026-11-27T01:02:03.456Z",
    body: { text: "hello €", tags: ["a", "b"], title: "t" },
  });

  beforeAll(async () => {
    kp = await generateEd25519();
    did = didKeyFromPublicKey(kp.publicKey);
    other = await generateEd25519();
  });

  it("signingBytes is the JCS of the envelope without sig", async () => {
    const ev = await signEvent(unsigned(did), kp.privateKey);
    const { sig, ...rest } = ev;
    expect(typeof sig).toBe("string");
    expect(fromUtf8(signingBytes(ev))).toBe(canonicalize(rest));
    expect(fromUtf8(signingBytes(ev))).not.toContain('"sig"');
    // Independently spelled canonical form (keys sorted at every level, no whitespace).
    expect(fromUtf8(signingBytes(ev))).toBe(
      `{"author":"${did}","body":{"tags":["a","b"],"text":"hello €","title":"t"},"createdAt":"2026-11-27T01:02:03.456Z","kind":"content.post","nonce":"k3J9-abc_1","v":1}`,
    );
  });

  it("eventIdOf = hex sha256 of JCS(envelope without sig)", async () => {
    const ev = await signEvent(unsigned(did), kp.privateKey);
    const { sig: _s, ...rest } = ev;
    const expected = await sha256Hex(canonicalize(rest));
    expect(await eventIdOf(ev)).toBe(expected);
    expect(await eventIdOf(ev)).toMatch(/^[0-9a-f]{64}$/);
    // The id does not depend on sig, nor on key order.
    expect(await eventIdOf({ ...ev, sig: "different" })).toBe(expected);
    expect(await eventIdOf(unsigned(did))).toBe(expected);
    const reordered = JSON.parse(JSON.stringify({ body: ev.body, createdAt: ev.createdAt, author: ev.author, v: 1, nonce: ev.nonce, kind: ev.kind }));
    expect(await eventIdOf(reordered)).toBe(expected);
    // But it does depend on every other field.
    expect(await eventIdOf({ ...ev, nonce: "other" })).not.toBe(expected);
  });

  it("signEvent → verifyEventSignature round trip; sig is canonical base64url of 64 bytes", async () => {
    const ev = await signEvent(unsigned(did), kp.privateKey);
    expect(ev.sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(fromBase64Url(ev.sig).length).toBe(64);
    expect(await verify(kp.publicKey, fromBase64Url(ev.sig), signingBytes(ev))).toBe(true);
    expect(await verifyEventSignature(ev)).toBe(true);
    // Survives a JSON round trip (what the wire does).
    expect(await verifyEventSignature(JSON.parse(JSON.stringify(ev)))).toBe(true);
    // signEvent does not mutate its input
    const u = unsigned(did);
    await signEvent(u, kp.privateKey);
    expect("sig" in u).toBe(false);
  });

  it("tampering with body, author, createdAt or any field breaks verification", async () => {
    const ev = await signEvent(unsigned(did), kp.privateKey);
    const otherDid = didKeyFromPublicKey(other.publicKey);
    const tampered: EnvelopeLike[] = [
      { ...ev, body: { ...(ev.body as object), text: "hello $" } },
      { ...ev, body: { ...(ev.body as object), extra: 1 } },
      { ...ev, author: otherDid },
      { ...ev, createdAt: "2026-11-27T01:02:03.457Z" },
      { ...ev, nonce: "k3J9-abc_2" },
      { ...ev, kind: "content.delete" },
      { ...ev, v: 2 },
      { ...ev, extra: true },
    ];
    for (const t of tampered) expect(await verifyEventSignature(t), JSON.stringify(t)).toBe(false);
  });

  it("rejects bad or missing signatures and non-Ed25519 authors", async () => {
    const ev = await signEvent(unsigned(did), kp.privateKey);
    const { sig: _s, ...noSig } = ev;
    expect(await verifyEventSignature(noSig as EnvelopeLike)).toBe(false);
    expect(await verifyEventSignature({ ...ev, sig: ev.sig + "==" })).toBe(false);
    expect(await verifyEventSignature({ ...ev, sig: ev.sig.slice(0, -1) })).toBe(false);
    expect(await verifyEventSignature({ ...ev, sig: "" })).toBe(false);
    expect(await verifyEventSignature({ ...ev, sig: 42 as unknown as string })).toBe(false);
    const flipped = fromBase64Url(ev.sig);
    flipped[0]! ^= 1;
    expect(await verifyEventSignature({ ...ev, sig: toBase64Url(flipped) })).toBe(false);
    // signed by another key while claiming this author
    const forged = await signEvent(unsigned(did), other.privateKey);
    expect(await verifyEventSignature(forged)).toBe(false);
    // author not a did:key
    expect(await verifyEventSignature({ ...ev, author: "did:web:example.com" })).toBe(false);
    expect(await verifyEventSignature({ ...ev, author: "" })).toBe(false);
  });

  describe("isFresh", () => {
    const ref = Date.parse("2026-11-27T01:00:00.000Z");
    const skew = 300_000;
    const at = (ms: number) => new Date(ref + ms).toISOString();

    it("inclusive boundaries at ±skew", () => {
      expect(isFresh(at(0), ref, skew)).toBe(true);
      expect(isFresh(at(skew), ref, skew)).toBe(true);
      expect(isFresh(at(-skew), ref, skew)).toBe(true);
      expect(isFresh(at(skew + 1), ref, skew)).toBe(false);
      expect(isFresh(at(-skew - 1), ref, skew)).toBe(false);
      expect(isFresh(at(skew - 1), ref, skew)).toBe(true);
      expect(isFresh(at(-skew + 1), ref, skew)).toBe(true);
    });

    it("zero skew accepts only the exact instant", () => {
      expect(isFresh(at(0), ref, 0)).toBe(true);
      expect(isFresh(at(1), ref, 0)).toBe(false);
      expect(isFresh(at(-1), ref, 0)).toBe(false);
    });

    it("unparseable timestamps are never fresh", () => {
      for (const bad of ["", "not a date", "2026-13-45T99:99:99Z", "NaN"]) {
        expect(isFresh(bad, ref, Number.MAX_SAFE_INTEGER), bad).toBe(false);
      }
    });
  });
});
