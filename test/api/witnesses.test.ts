// GET /v1/witnesses and receipts that any client can verify offline.
import { describe, expect, it } from "vitest";
import { api, freshIp, newIdentity, post, submit, waitForStatus } from "../helpers/client";
import { verifyReceipt, quorumFor } from "../../src/lib/committee";
import { publicKeyFromDidKey } from "../../src/lib/did";
import { toBase64Url } from "../../src/lib/encoding";

const ip = freshIp();

describe("GET /v1/witnesses", () => {
  it("lists WITNESS_COUNT active witnesses with keys matching their did:key, committee size and quorum", async () => {
    const r = await api("GET", "/v1/witnesses", { ip });
    expect(r.status).toBe(200);
    expect(r.body.committeeSize).toBe(5);
    expect(r.body.quorum).toBe(quorumFor(5));
    expect(r.body.witnesses).toHaveLength(7);
    expect(new Set(r.body.witnesses.map((w: any) => w.did)).size).toBe(7);
    for (const w of r.body.witnesses) {
      expect(w.status).toBe("active");
      expect(w.publicKey).toBe(toBase64Url(publicKeyFromDidKey(w.did)!));
    }
    // Provisioning is idempotent: the same keys on every read.
    expect((await api("GET", "/v1/witnesses", { ip })).body).toEqual(r.body);
  });
});

describe("receipts", () => {
  it("a live receipt verifies offline; tampering with a signature, member or quorum breaks it", async () => {
    const r = await submit(await post(await newIdentity(), "verify me"), ip);
    const { body: record } = await waitForStatus(r.body.id, ["attested"]);
    const { body: witnesses } = await api("GET", "/v1/witnesses", { ip });
    const receipt = record.receipt;
    expect(await verifyReceipt(record.id, receipt, witnesses)).toEqual({ ok: true, errors: [] });

    const sig = receipt.attestations[0].sig;
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    const badSig = { ...receipt, attestations: receipt.attestations.map((a: any, i: number) => (i === 0 ? { ...a, sig: flipped } : a)) };
    const outsider = witnesses.witnesses.find((w: any) => !receipt.committee.includes(w.did)).did;
    const badMember = { ...receipt, committee: [outsider, ...receipt.committee.slice(1)] };
    const badQuorum = { ...receipt, quorum: receipt.quorum - 1 };
    for (const tampered of [badSig, badMember, badQuorum]) {
      expect((await verifyReceipt(record.id, tampered, witnesses)).ok).toBe(false);
    }
    // Another event's id does not verify against this receipt.
    expect((await verifyReceipt("0".repeat(64), receipt, witnesses)).ok).toBe(false);
  });
});
