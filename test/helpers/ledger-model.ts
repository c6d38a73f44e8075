// Shared by the ledger model tests (api and chaos projects): submit prepared ops, wait for
// final statuses, and compare the ledger with the sequential model replayed in block order.
import { expect } from "vitest";
import { api, freshIp, submit, until, type Identity } from "./client";
import { account, mint } from "./ledger";
import { applyModel, newModel, type Prepared } from "./model";

const ip = freshIp();

/** Submits every prepared op concurrently; returns the event id of each. */
export async function submitAll(prepared: Prepared[]): Promise<string[]> {
  return Promise.all(
    prepared.map(async (p) => {
      if (p.mint) return mint(p.mint.to, p.mint.amount, p.mint.key);
      const r = await submit(p.event, ip);
      expect([200, 202]).toContain(r.status);
      return r.body.id as string;
    }),
  );
}

export async function settle(ids: string[]) {
  await until(
    async () => Promise.all(ids.map((id) => api("GET", `/v1/events/${id}`, { ip }))),
    (rs) => rs.every((r) => r.status === 200 && ["applied", "failed", "rejected"].includes(r.body.status)),
    60_000,
    "every event to reach a final status",
  );
}

/** Replays our events in block order through the model and compares everything. */
export async function checkAgainstModel(prepared: Prepared[], ids: string[], accounts: Identity[]) {
  const byId = new Map(ids.map((id, i) => [id, prepared[i]!]));
  const latest = (await api("GET", "/v1/blocks/latest", { ip })).body.height as number;
  const model = newModel();
  const seen = new Set<string>();
  for (let h = 0; h <= latest; h++) {
    const block = (await api("GET", `/v1/blocks/${h}`, { ip })).body;
    for (const id of block.events) {
      const p = byId.get(id);
      if (!p) continue;
      expect(seen.has(id), `event ${id} appears in two blocks`).toBe(false);
      seen.add(id);
      applyModel(model, p, id);
    }
    // The supply invariant at every height.
    const s = (await api("GET", `/v1/ledger/supply?at=${h}`, { ip })).body;
    expect(BigInt(s.minted) - BigInt(s.burned), `supply at ${h}`).toBe(BigInt(s.circulating) + BigInt(s.escrowed) + BigInt(s.inFlight));
  }
  expect(seen.size).toBe(new Set(ids).size);
  for (const id of new Set(ids)) {
    const r = (await api("GET", `/v1/events/${id}`, { ip })).body;
    const expected = model.outcomes.get(id)!;
    expect({ status: r.status, reason: r.reason }, `outcome of ${byId.get(id)!.kind} ${id}`).toEqual({ status: expected.status, reason: expected.reason });
  }
  for (const a of accounts) {
    const got = await account(a.did);
    expect({ balance: got.balance, escrowed: got.escrowed }).toEqual({
      balance: String(model.balances.get(a.did) ?? 0n),
      escrowed: String(model.escrowed.get(a.did) ?? 0n),
    });
  }
  return model;
}

