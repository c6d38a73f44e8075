// The API reference groups operations by capability (tags added when /openapi.json is served).
import { describe, expect, it } from "vitest";
import { withTags } from "../../src/workers/openapi-tags";
import { testClient } from "./worker-fetch";

describe("openapi tags", () => {
  it("tags every served operation by capability and lists the tags", async () => {
    const doc = (await testClient().openapi()) as { paths: Record<string, Record<string, { tags?: string[] }>>; tags: { name: string }[] };
    const tagOf = (p: string, m: string) => doc.paths[p]![m]!.tags;
    expect(tagOf("/v1/events", "post")).toEqual(["events"]);
    expect(tagOf("/v1/accounts/{did}", "get")).toEqual(["ledger"]);
    expect(tagOf("/v1/search", "get")).toEqual(["content"]);
    expect(tagOf("/v1/chunks", "put")).toEqual(["storage"]);
    expect(tagOf("/v1/admin/mint", "post")).toEqual(["admin"]);
    for (const item of Object.values(doc.paths)) for (const op of Object.values(item)) expect(op.tags?.length).toBe(1);
    const names = doc.tags.map((t) => t.name);
    for (const n of ["events", "network", "ledger", "content", "storage", "admin"]) expect(names).toContain(n);
    expect(names.indexOf("events")).toBeLessThan(names.indexOf("admin"));
  });

  it("keeps tags an operation already has and groups unknown paths under other", () => {
    const out = withTags({ paths: { "/v1/dht/nodes": { get: { tags: ["discovery"] } }, "/v1/new/thing": { get: {}, parameters: [] } } });
    expect(out.paths!["/v1/dht/nodes"]!.get).toEqual({ tags: ["discovery"] });
    expect(out.paths!["/v1/new/thing"]!.get).toEqual({ tags: ["other"] });
    expect(out.paths!["/v1/new/thing"]!.parameters).toEqual([]);
    expect(out.tags.map((t) => t.name)).toEqual(["other"]);
  });
});
