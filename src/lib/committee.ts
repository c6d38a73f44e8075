// Witness committees (DESIGN §4). For event e and each active witness w,
// score = hex sha256(e + "|" + w.did); the committee is the W = min(COMMITTEE_SIZE, active)
// lowest scores; quorum = floor(2W/3) + 1. Anyone holding GET /v1/witnesses can recompute it,
// which is what verifyReceipt does.
import { sha256Hex, verify } from "./crypto";
import { canonicalBytes } from "./jcs";
import { fromBase64Url } from "./encoding";
import { publicKeyFromDidKey } from "./did";

export interface WitnessRef {
  did: string;
  publicKey: string; // base64url of the raw Ed25519 key
  status: "active" | "inactive";
}

export interface AttestationLike {
  witness: string;
  verdict: "accept" | "reject";
  reason?: string;
  sig: string;
}

export interface ReceiptLike {
  committee: string[];
  attestations: AttestationLike[];
  quorum: number;
  sequence?: number;
  block?: number;
}

export const quorumFor = (w: number): number => Math.floor((2 * w) / 3) + 1;

export async function selectCommittee(eventId: string, witnessDids: readonly string[], committeeSize: number): Promise<string[]> {
  const scored = await Promise.all(witnessDids.map(async (did) => ({ did, score: await sha256Hex(`${eventId}|${did}`) })));
  scored.sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : a.did < b.did ? -1 : 1));
  return scored.slice(0, Math.min(committeeSize, witnessDids.length)).map((s) => s.did);
}

/** The exact bytes a witness signs. `reason` is omitted (not null) when absent. */
export function attestationPayload(eventId: string, witness: string, verdict: "accept" | "reject", reason?: string): Uint8Array {
  const payload: Record<string, string> = { type: "echonet.attestation.v1", eventId, witness, verdict };
  if (reason !== undefined) payload.reason = reason;
  return canonicalBytes(payload);
}

export async function verifyAttestation(eventId: string, a: AttestationLike, publicKey: Uint8Array): Promise<boolean> {
  let sig: Uint8Array;
  try {
    sig = fromBase64Url(a.sig);
  } catch {
    return false;
  }
  return verify(publicKey, sig, attestationPayload(eventId, a.witness, a.verdict, a.reason));
}

export interface ReceiptCheck {
  ok: boolean;
  errors: string[];
}

/**
 * Verifies a receipt offline: recomputes the committee from the witness list, checks the
 * quorum, every attestation's signature and membership, and that accepts reach the quorum.
 */
export async function verifyReceipt(
  eventId: string,
  receipt: ReceiptLike,
  witnesses: { committeeSize: number; witnesses: readonly WitnessRef[] },
): Promise<ReceiptCheck> {
  const errors: string[] = [];
  const active = witnesses.witnesses.filter((w) => w.status === "active");
  const keys = new Map<string, Uint8Array>();
  for (const w of active) {
    const fromDid = publicKeyFromDidKey(w.did);
    let listed: Uint8Array | null = null;
    try {
      listed = fromBase64Url(w.publicKey);
    } catch {
      /* reported below */
    }
    if (!fromDid || !listed || fromDid.length !== listed.length || fromDid.some((b, i) => b !== listed![i])) {
      errors.push(`witness ${w.did}: publicKey does not match its did:key`);
      continue;
    }
    keys.set(w.did, fromDid);
  }
  const committee = await selectCommittee(eventId, active.map((w) => w.did), witnesses.committeeSize);
  if (committee.length !== receipt.committee.length || committee.some((d, i) => d !== receipt.committee[i])) {
    errors.push("committee does not match the committee recomputed from the witness list");
  }
  const quorum = quorumFor(committee.length);
  if (receipt.quorum !== quorum) errors.push(`quorum is ${receipt.quorum}, expected ${quorum}`);

  const seen = new Set<string>();
  let accepts = 0;
  for (const a of receipt.attestations) {
    if (!committee.includes(a.witness)) {
      errors.push(`attestation by ${a.witness}, who is not on the committee`);
      continue;
    }
    if (seen.has(a.witness)) {
      errors.push(`duplicate attestation by ${a.witness}`);
      continue;
    }
    seen.add(a.witness);
    const key = keys.get(a.witness);
    if (!key || !(await verifyAttestation(eventId, a, key))) {
      errors.push(`attestation by ${a.witness} has an invalid signature`);
      continue;
    }
    if (a.verdict === "accept") accepts++;
  }
  if (accepts < quorum) errors.push(`${accepts} valid accepts, quorum is ${quorum}`);
  return { ok: errors.length === 0, errors };
}
