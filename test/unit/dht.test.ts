// Kademlia maths and provider-record signatures (src/lib/dht.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newIdentity } from "../helpers/client";
import { bucketIndex, byDistance, hostedIdInAddr, keyIdOf, nodeIdOf, providerRecordBytes, randomIdInBucket, signProviderRecord, verifyProviderRecord, xorHex } from "../../src/lib/dht";

const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
const toBig = (h: string) => BigInt(`0x${h}`);

describe("xor distance and buckets", () => {
  it("xorHex matches BigInt XOR; bucketIndex is the common-prefix length", () => {
    fc.assert(
      fc.property(hex, hex, (a, b) => {
        const d = xorHex(a, b);
        expect(toBig(d)).toBe(toBig(a) ^ toBig(b));
        const expected = a === b ? -1 : 255 - (toBig(d).toString(2).length - 1);
        expect(bucketIndex(a, b)).toBe(expected);
      }),
    );
  });

  it("byDistance orders by XOR distance; randomIdInBucket lands in the bucket asked for", () => {
    fc.assert(
      fc.property(hex, fc.array(hex, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 255 }), (t, ids, b) => {
        const sorted = byDistance(t, ids.map((id) => ({ id }))).map((x) => toBig(x.id) ^ toBig(t));
        for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]! <= sorted[i]!).toBe(true);
        expect(bucketIndex(t, randomIdInBucket(t, b))).toBe(b);
      }),
    );
  });

  it("IDs are sha256 of the DID / key string; our own RPC URLs are recognised", () => {
    expect(keyIdOf("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(nodeIdOf("abc")).toBe(keyIdOf("abc"));
    const id = "a".repeat(64);
    expect(hostedIdInAddr(`https://x.example/v1/dht/nodes/${id}/rpc`)).toBe(id);
    expect(hostedIdInAddr("https://peer.example/rpc")).toBeNull();
    expect(hostedIdInAddr("not a url")).toBeNull();
  });
});

describe("provider records", () => {
  it("sign over JCS of the record without sig; any change breaks the signature", async () => {
    const me = await newIdentity();
    const rec = await signProviderRecord({ key: "bafkreiabc", provider: me.did, expiresAt: "2030-01-01T00:00:00.000Z" }, me.privateKey);
    expect(new TextDecoder().decode(providerRecordBytes(rec))).toBe(`{"expiresAt":"2030-01-01T00:00:00.000Z","key":"bafkreiabc","provider":"${me.did}"}`);
    expect(await verifyProviderRecord(rec)).toBe(true);
    expect(await verifyProviderRecord({ ...rec, expiresAt: "2030-01-01T00:00:00.001Z" })).toBe(false);
    expect(await verifyProviderRecord({ ...rec, addr: "https://x.example/" })).toBe(false);
    expect(await verifyProviderRecord({ ...rec, sig: "x" })).toBe(false);
    const withAddr = await signProviderRecord({ key: "k", provider: me.did, addr: "https://x.example/", expiresAt: "2030-01-01T00:00:00.000Z" }, me.privateKey);
    expect(await verifyProviderRecord(withAddr)).toBe(true);
    expect(await verifyProviderRecord({ ...withAddr, provider: (await newIdentity()).did })).toBe(false);
  });
});
