import { describe, expect, it } from "vitest";
import { api, newIdentity, post, submit, waitForStatus } from "../helpers/client";

describe("smoke", () => {
  it("accepts an event and attests it", async () => {
    const me = await newIdentity();
    const ev = await post(me);
    const r = await submit(ev);
    expect(r.status).toBe(202);
    const done = await waitForStatus(r.body.id, ["attested"]);
    expect(done.body.receipt.attestations.length).toBe(5);
    const h = await api("GET", "/v1/health");
    expect(h.status).toBe(200);
  });
});
