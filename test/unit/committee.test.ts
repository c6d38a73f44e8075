import { describe, it, expect, beforeAll } from "vitest";
import {
  attestationPayload,
  quorumFor,
  selectCommittee,
  verifyAttestation,
  verifyReceipt,
  type AttestationLike,
  type ReceiptLike,
  type WitnessRef,
} from "../../src/lib/committee";
import { generateEd25519, sha256Hex, sign, type Ed25519KeyPair } from "../../src/lib/crypto";
import { didKeyFromPublicKey } from "../../src/lib/did";
import { fromBase64Url, fromUtf8, toBase64Url } from "../../src/lib/encoding";

describe("quorumFor", () => {
  it("is floor(2W/3) + 1 for W = 1..10", () => {
    const expected = [1, 2, 3, 3, 4, 5, 5, 6, 7, 7];
    for (let w = 1; w <= 10; w++) {
      expect(quorumFor(w), `W=${w}`).toBe(expected[w - 1]);
      expect(quorumFor(w)).toBe(Math.floor((2 * w) / 3) + 1);
      // strictly more than two thirds
      expect(3 * quorumFor(w)).toBeGreaterThan(2 * w);
    }
  });
});

/** Independent recomputation of DESIGN §4: lowest hex sha256(eventId + "|" + did). */
async function referenceCommittee(eventId: string, dids: string[], size: number): Promise<string[]> {
  const scored: [string, string][] = [];
  for (const d of dids) scored.push([await sha256Hex(eventId + "|" + d), d]);
  scored.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return scored.slice(0, Math.min(size, dids.length)).map(([, d]) => d);
}

describe("selectCommittee", () => {
  const dids = Array.from({ length: 12 }, (_, i) => `did:key:z6MkTestWitness${i}`);
  const eventId = "ab".repeat(32);

  it("picks the min(size, n) lowest scores, ordered by score", async () => {
    for (const size of [1, 3, 5, 12, 20]) {
      const c = await selectCommittee(eventId, dids, size);
      expect(c).toEqual(await referenceCommittee(eventId, dids, size));
      expect(c.length).toBe(Math.min(size, dids.length));
      expect(new Set(c).size).toBe(c.length);
    }
    expect(await selectCommittee(eventId, [], 5)).toEqual([]);
  });

  it("is deterministic and independent of the witness list order", async () => {
    const a = await selectCommittee(eventId, dids, 5);
    const b = await selectCommittee(eventId, [...dids].reverse(), 5);
    const c = await selectCommittee(eventId, [...dids.slice(6), ...dids.slice(0, 6)], 5);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(await selectCommittee(eventId, dids, 5)).toEqual(a);
  });

  it("depends on the event id", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const id = await sha256Hex(`event-${i}`);
      const c = await selectCommittee(id, dids, 5);
      expect(c).toEqual(await referenceCommittee(id, dids, 5));
      seen.add(c.join(","));
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it("the score is the hex of sha256 of the exact string eventId|did", async () => {
    const one = await selectCommittee(eventId, dids, 1);
    const scores = await Promise.all(dids.map((d) => sha256Hex(`${eventId}|${d}`)));
    const min = scores.reduce((m, s) => (s < m ? s : m));
    expect(one).toEqual([dids[scores.indexOf(min)]]);
  });
});

describe("attestationPayload", () => {
  it("is JCS of {type, eventId, witness, verdict[, reason]}", () => {
    const p = fromUtf8(attestationPayload("e1", "did:key:zW", "accept"));
    expect(p).toBe('{"eventId":"e1","type":"echonet.attestation.v1","verdict":"accept","witness":"did:key:zW"}');
    expect(p).not.toContain("reason");
    const r = fromUtf8(attestationPayload("e1", "did:key:zW", "reject", "bad_signature"));
    expect(r).toBe('{"eventId":"e1","reason":"bad_signature","type":"echonet.attestation.v1","verdict":"reject","witness":"did:key:zW"}');
    // An explicit undefined reason is the same as none.
    expect(fromUtf8(attestationPayload("e1", "did:key:zW", "accept", undefined))).toBe(p);
    // An empty reason is still a reason.
    expect(fromUtf8(attestationPayload("e1", "did:key:zW", "reject", ""))).toContain('"reason":""');
  });
});

describe("verifyReceipt", () => {
  interface W {
    kp: Ed25519KeyPair;
    did: string;
  }
  let ws: W[] = [];
  let witnessList: { committeeSize: number; witnesses: WitnessRef[] };
  let eventId: string;
  let committee: string[];
  let byDid: Map<string, W>;
  let outsider: W;

  const attest = async (w: W, verdict: "accept" | "reject" = "accept", reason?: string, id = eventId): Promise<AttestationLike> => {
    const sig = toBase64Url(await sign(w.kp.privateKey, attestationPayload(id, w.did, verdict, reason)));
    const a: AttestationLike = { witness: w.did, verdict, sig };
    if (reason !== undefined) a.reason = reason;
    return a;
  };

  const goodReceipt = async (): Promise<ReceiptLike> => ({
    committee: [...committee],
    attestations: await Promise.all(committee.map((d) => attest(byDid.get(d)!))),
    quorum: quorumFor(committee.length),
    sequence: 1,
    block: 1,
  });

  const expectFail = async (receipt: ReceiptLike, list = witnessList, id = eventId) => {
    const r = await verifyReceipt(id, receipt, list);
    expect(r.ok).toBe(false);
    expect(r.errors.length).toBeGreaterThan(0);
    return r;
  };

  beforeAll(async () => {
    ws = await Promise.all(
      Array.from({ length: 7 }, async () => {
        const kp = await generateEd25519();
        return { kp, did: didKeyFromPublicKey(kp.publicKey) };
      }),
    );
    byDid = new Map(ws.map((w) => [w.did, w]));
    witnessList = {
      committeeSize: 5,
      witnesses: ws.map((w) => ({ did: w.did, publicKey: toBase64Url(w.kp.publicKey), status: "active" as const })),
    };
    eventId = await sha256Hex("some event");
    committee = await referenceCommittee(eventId, ws.map((w) => w.did), 5);
    const kp = await generateEd25519();
    outsider = { kp, did: didKeyFromPublicKey(kp.publicKey) };
  });

  it("accepts a real receipt", async () => {
    expect(committee.length).toBe(5);
    expect(quorumFor(5)).toBe(4);
    const r = await verifyReceipt(eventId, await goodReceipt(), witnessList);
    expect(r).toEqual({ ok: true, errors: [] });
  });

  it("accepts exactly a quorum of accepts, plus a signed reject with a reason", async () => {
    const r = await goodReceipt();
    r.attestations = [
      ...(await Promise.all(committee.slice(0, 4).map((d) => attest(byDid.get(d)!)))),
      await attest(byDid.get(committee[4]!)!, "reject", "stale_event"),
    ];
    expect((await verifyReceipt(eventId, r, witnessList)).ok).toBe(true);
    // Only 4 of 5 attestations (all accepts) is still a quorum.
    r.attestations = r.attestations.slice(0, 4);
    expect((await verifyReceipt(eventId, r, witnessList)).ok).toBe(true);
  });

  it("verifyAttestation checks the signature over the payload", async () => {
    const w = byDid.get(committee[0]!)!;
    const a = await attest(w);
    expect(await verifyAttestation(eventId, a, w.kp.publicKey)).toBe(true);
    expect(await verifyAttestation(eventId, { ...a, verdict: "reject" }, w.kp.publicKey)).toBe(false);
    expect(await verifyAttestation(eventId, { ...a, reason: "x" }, w.kp.publicKey)).toBe(false);
    expect(await verifyAttestation("00".repeat(32), a, w.kp.publicKey)).toBe(false);
    expect(await verifyAttestation(eventId, { ...a, sig: a.sig + "=" }, w.kp.publicKey)).toBe(false);
    expect(await verifyAttestation(eventId, { ...a, sig: "!!" }, w.kp.publicKey)).toBe(false);
  });

  it("fails when any one signature is tampered", async () => {
    for (let i = 0; i < committee.length; i++) {
      const r = await goodReceipt();
      const sig = fromBase64Url(r.attestations[i]!.sig);
      sig[10]! ^= 0x01;
      r.attestations[i] = { ...r.attestations[i]!, sig: toBase64Url(sig) };
      const res = await expectFail(r);
      expect(res.errors.join("\n")).toContain("invalid signature");
    }
  });

  it("fails when a signature is over another event, or the verdict/reason was edited", async () => {
    let r = await goodReceipt();
    r.attestations[0] = await attest(byDid.get(committee[0]!)!, "accept", undefined, "00".repeat(32));
    await expectFail(r);
    r = await goodReceipt();
    r.attestations[1] = { ...r.attestations[1]!, reason: "added later" };
    await expectFail(r);
    r = await goodReceipt();
    const rej = await attest(byDid.get(committee[2]!)!, "reject", "nope");
    r.attestations[2] = { ...rej, verdict: "accept" };
    await expectFail(r);
  });

  it("fails when a committee member is swapped for a non-member", async () => {
    const nonMember = ws.find((w) => !committee.includes(w.did))!;
    expect(nonMember).toBeDefined();
    const r = await goodReceipt();
    r.committee[2] = nonMember.did;
    r.attestations[2] = await attest(nonMember);
    const res = await expectFail(r);
    expect(res.errors.join("\n")).toContain("committee does not match");
    // Same with an outsider not on the witness list at all.
    const r2 = await goodReceipt();
    r2.committee[0] = outsider.did;
    r2.attestations[0] = await attest(outsider);
    await expectFail(r2);
  });

  it("fails when attestations come from non-members even if the committee field is right", async () => {
    const nonMembers = ws.filter((w) => !committee.includes(w.did));
    const r = await goodReceipt();
    // 3 members + the 2 non-members: 5 valid signatures but only 3 member accepts < quorum 4.
    r.attestations = [...r.attestations.slice(0, 3), ...(await Promise.all(nonMembers.map((w) => attest(w))))];
    const res = await expectFail(r);
    expect(res.errors.join("\n")).toContain("not on the committee");
  });

  it("fails when the committee order is changed", async () => {
    const r = await goodReceipt();
    r.committee = [...committee].reverse();
    await expectFail(r);
    const r2 = await goodReceipt();
    [r2.committee[0], r2.committee[1]] = [r2.committee[1]!, r2.committee[0]!];
    await expectFail(r2);
  });

  it("fails when the committee is truncated or padded", async () => {
    const r = await goodReceipt();
    r.committee = committee.slice(0, 4);
    await expectFail(r);
    const r2 = await goodReceipt();
    r2.committee = [...committee, ws.find((w) => !committee.includes(w.did))!.did];
    await expectFail(r2);
  });

  it("fails when the quorum number is changed", async () => {
    for (const q of [0, 1, 3, 5, 6]) {
      const r = await goodReceipt();
      r.quorum = q;
      const res = await expectFail(r);
      expect(res.errors.join("\n")).toContain("quorum");
    }
  });

  it("fails when an attestation is duplicated", async () => {
    const r = await goodReceipt();
    // 3 distinct accepts + one repeated: 4 entries but only 3 distinct witnesses.
    r.attestations = [r.attestations[0]!, r.attestations[1]!, r.attestations[2]!, r.attestations[0]!];
    const res = await expectFail(r);
    expect(res.errors.join("\n")).toContain("duplicate");
    // Duplicate on top of a full set is also refused.
    const r2 = await goodReceipt();
    r2.attestations.push(r2.attestations[4]!);
    await expectFail(r2);
  });

  it("fails with too few accepts", async () => {
    const r = await goodReceipt();
    r.attestations = r.attestations.slice(0, 3);
    const res = await expectFail(r);
    expect(res.errors.join("\n")).toContain("3 valid accepts, quorum is 4");
    // 3 accepts + 2 rejects
    const r2 = await goodReceipt();
    r2.attestations = [
      ...r2.attestations.slice(0, 3),
      await attest(byDid.get(committee[3]!)!, "reject", "no"),
      await attest(byDid.get(committee[4]!)!, "reject"),
    ];
    await expectFail(r2);
    const r3 = await goodReceipt();
    r3.attestations = [];
    await expectFail(r3);
  });

  it("fails when a witness's publicKey does not match its did", async () => {
    const r = await goodReceipt();
    const victim = committee[0]!;
    const list = {
      committeeSize: 5,
      witnesses: witnessList.witnesses.map((w) => (w.did === victim ? { ...w, publicKey: toBase64Url(outsider.kp.publicKey) } : w)),
    };
    const res = await expectFail(r, list);
    expect(res.errors.join("\n")).toContain("publicKey does not match");
    // Also when the mismatched witness is not on this event's committee.
    const nonMember = ws.find((w) => !committee.includes(w.did))!.did;
    const list2 = {
      committeeSize: 5,
      witnesses: witnessList.witnesses.map((w) => (w.did === nonMember ? { ...w, publicKey: "not base64url!" } : w)),
    };
    await expectFail(r, list2);
  });

  it("recomputes the committee from active witnesses only", async () => {
    const r = await goodReceipt();
    // Marking a committee member inactive changes the committee, so the receipt no longer matches.
    const list = {
      committeeSize: 5,
      witnesses: witnessList.witnesses.map((w) => (w.did === committee[1] ? { ...w, status: "inactive" as const } : w)),
    };
    await expectFail(r, list);
    // Marking a witness that would not be chosen inactive does not matter when committee stays the same.
    const nonMember = ws.find((w) => !committee.includes(w.did))!.did;
    const list2 = {
      committeeSize: 5,
      witnesses: witnessList.witnesses.map((w) => (w.did === nonMember ? { ...w, status: "inactive" as const } : w)),
    };
    expect((await verifyReceipt(eventId, r, list2)).ok).toBe(true);
  });

  it("fails for another event id", async () => {
    await expectFail(await goodReceipt(), witnessList, await sha256Hex("another event"));
  });
});
