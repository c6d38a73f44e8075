// The JSON Schemas in schemas/ and /openapi.json are generated from the zod schemas; this
// fails when schemas/ is stale (run `npm run schemas`).
import { describe, expect, it } from "vitest";
import { schemaFiles } from "../../src/openapi";
import { api } from "../helpers/client";

const committed = import.meta.glob("../../schemas/*.json", { eager: true, query: "?raw", import: "default" }) as Record<string, string>;

describe("schemas/", () => {
  it("matches the zod schemas exactly (run `npm run schemas` after changing them)", () => {
    const expected = schemaFiles();
    const actual = Object.fromEntries(Object.entries(committed).map(([p, text]) => [p.split("/").pop()!, text]));
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, text] of Object.entries(expected)) expect(actual[name], name).toBe(text);
  });
});

describe("GET /openapi.json, /docs, /", () => {
  it("serves OpenAPI 3.1 with every route and every named schema", async () => {
    const r = await api("GET", "/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    for (const p of ["/v1/events", "/v1/events/{id}", "/v1/witnesses", "/v1/health", "/v1/status", "/v1/blocks/{height}", "/v1/accounts/{did}", "/v1/ledger/supply", "/v1/contracts/{instance}", "/v1/admin/mint", "/v1/content/{id}", "/v1/search"]) {
      expect(r.body.paths).toHaveProperty([p]);
    }
    // Storage (issue 5).
    for (const p of ["/v1/chunks", "/v1/chunks/{cid}", "/v1/chunks/{cid}/meta", "/v1/storage/nodes", "/v1/storage/nodes/{id}/challenge", "/v1/storage/audits", "/v1/admin/storage/audit"]) {
      expect(r.body.paths).toHaveProperty([p]);
    }
    for (const s of ["Event", "EventRecord", "Receipt", "Attestation", "Problem", "WitnessList", "ContentPostBody", "CampaignCreateBody"]) {
      expect(r.body.components.schemas).toHaveProperty([s]);
    }
    // Every $ref resolves inside the document.
    const refs = JSON.stringify(r.body).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const name = ref.slice(8, -1).replace("#/components/schemas/", "");
      expect(r.body.components.schemas).toHaveProperty([name]);
    }
  });

  it("serves the interactive API reference and the explorer as HTML", async () => {
    for (const path of ["/docs", "/"]) {
      const r = await api("GET", path);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/text\/html/);
      expect(String(r.body)).toContain("EchoNet");
    }
  });
});

describe("page scripts", () => {
  it("the explorer's and the reference's inline scripts parse", async () => {
    for (const path of ["/", "/docs"]) {
      const html = String((await api("GET", path)).body);
      const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
      // Compiles without running: a syntax error here is a blank page for users.
      expect(() => new Function(script)).not.toThrow();
    }
  });
});
