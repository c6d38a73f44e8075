// Chaos (own project, own workerd): resetting every Durable Object mid-stream must change
// nothing. Kept apart because abortAllDurableObjects() resets the DOs of every test file that
// shares the workerd instance.
import { describe, it } from "vitest";
import fc from "fast-check";
import { abortAllDurableObjects } from "cloudflare:test";
import { newIdentity } from "../helpers/client";
import { opsArb, prepare } from "../helpers/model";
import { checkAgainstModel, settle, submitAll } from "../helpers/ledger-model";

describe("ledger under resets", () => {
  it("resetting every Durable Object mid-stream changes nothing: the final state equals the model", async () => {
    const accounts = await Promise.all(Array.from({ length: 5 }, () => newIdentity()));
    const ops = fc.sample(opsArb(5, 40, 30), { numRuns: 1, seed: 4242 })[0]!;
    const prepared = await prepare([{ t: "mint", to: 0, amount: 5000 }, { t: "mint", to: 1, amount: 5000 }, ...ops], accounts, `reset-${Date.now()}`);
    const half = Math.ceil(prepared.length / 2);
    const ids1 = await submitAll(prepared.slice(0, half));
    await new Promise((r) => setTimeout(r, 700)); // witnesses and the sequencer are mid-way
    await abortAllDurableObjects();
    const ids2 = await submitAll(prepared.slice(half));
    await new Promise((r) => setTimeout(r, 1200));
    await abortAllDurableObjects();
    const ids = [...ids1, ...ids2];
    await settle(ids);
    await checkAgainstModel(prepared, ids, accounts);
  }, 120_000);
});
