import { describe, expect, it } from "vitest";
import { api, newIdentity, post, submit, waitForStatus } from "../helpers/client";

describe("smoke", () => {
  it("accepts an event and attests it", async () => {
    const me = await newIdentity();
    const ev = await post(me);
    const r = await submit(ev);
    expect(r.status).toBe(202);
    const done = await waitForStatus(r.body.id, ["attested"]);
    // The committee's first quorum (4 of 5) all accept: the fifth member is never asked.
    expect(done.body.receipt.attestations.length).toBe(4);
    expect(done.body.receipt.attestations.map((a: { witness: string }) => a.witness)).toEqual(done.body.receipt.committee.slice(0, 4));
    const h = await api("GET", "/v1/health");
    expect(h.status).toBe(200);
  });
});
