// Ledger helpers for tests: admin mint, account reads, waiting for final statuses.
import { expect } from "vitest";
import { api, freshIp, signedEvent, submit, waitForStatus, type Identity } from "./client";

export const ADMIN = { authorization: "Bearer test-admin-token" };
const ip = freshIp();

export async function mint(to: string, amount: string, key?: string): Promise<string> {
  const headers: Record<string, string> = { ...ADMIN };
  if (key) headers["idempotency-key"] = key;
  const r = await api("POST", "/v1/admin/mint", { body: { to, amount }, headers, ip });
  expect(r.status).toBe(202);
  return r.body.id;
}

export const waitFinal = (id: string, timeoutMs = 30_000) => waitForStatus(id, ["applied", "failed", "rejected"], timeoutMs);

export async function account(did: string, at?: number) {
  const r = await api("GET", `/v1/accounts/${did}${at === undefined ? "" : `?at=${at}`}`, { ip });
  expect(r.status).toBe(200);
  return r.body as { did: string; balance: string; escrowed: string; reputation: number; height: number };
}

export async function transfer(from: Identity, to: string, amount: string) {
  const r = await submit(await signedEvent(from, "ledger.transfer", { to, amount }), ip);
  expect(r.status).toBe(202);
  return r.body.id as string;
}

export async function escrowCall(who: Identity, method: string, args: Record<string, unknown>, instance?: string) {
  const body: Record<string, unknown> = { contract: "escrow", version: 1, method, args };
  if (instance) body.instance = instance;
  const r = await submit(await signedEvent(who, "contract.call", body), ip);
  expect(r.status).toBe(202);
  return r.body.id as string;
}
