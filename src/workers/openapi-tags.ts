// Groups the operations of /openapi.json by capability for the API reference (/docs): an
// operation without tags gets the tag of its path's first match below. Applied when the
// document is served, so capabilities that add paths to src/openapi.ts are grouped without
// editing their entries.

const TAGS: { name: string; description: string; match: RegExp }[] = [
  { name: "admin", description: "Admin calls (Authorization: Bearer ADMIN_TOKEN)", match: /^\/v1\/admin\// },
  { name: "events", description: "Signed events, their status and receipts", match: /^\/v1\/events/ },
  { name: "network", description: "Witnesses, health and status", match: /^\/v1\/(witnesses|health|status)/ },
  { name: "ledger", description: "Blocks, accounts, supply and native contracts", match: /^\/v1\/(blocks|ledger|contracts)|^\/v1\/accounts\/\{did\}$/ },
  { name: "content", description: "Posts, comments, timelines and full-text search", match: /^\/v1\/(content|search)|^\/v1\/accounts\/\{did\}\/content/ },
  { name: "storage", description: "Chunks, storage nodes, proofs and audits", match: /^\/v1\/(chunks|storage)/ },
  { name: "dht", description: "Kademlia discovery: nodes, lookups, providers", match: /^\/v1\/dht/ },
  { name: "ads", description: "Campaigns, auctions and ad interactions", match: /^\/v1\/(campaigns|ads)/ },
  { name: "rewards", description: "Proof of Engagement epochs and rewards", match: /^\/v1\/poe/ },
];

type Doc = { paths?: Record<string, Record<string, { tags?: string[] } | unknown>>; tags?: { name: string; description?: string }[] };
const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);

export function withTags<T extends Doc>(doc: T): T & { tags: { name: string; description?: string }[] } {
  const used = new Set<string>();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const tag = TAGS.find((t) => t.match.test(path))?.name ?? "other";
    const out: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(item)) {
      if (METHODS.has(method) && op && typeof op === "object") {
        const o = op as { tags?: string[] };
        const tags = o.tags?.length ? o.tags : [tag];
        tags.forEach((t) => used.add(t));
        out[method] = { ...o, tags };
      } else {
        out[method] = op;
      }
    }
    paths[path] = out;
  }
  const known = new Set((doc.tags ?? []).map((t) => t.name));
  const tags = [
    ...(doc.tags ?? []),
    // Capabilities first, admin last (matching tries admin first: /v1/admin/storage/… is admin).
    ...[...TAGS.filter((t) => t.name !== "admin"), ...TAGS.filter((t) => t.name === "admin")]
      .filter((t) => used.has(t.name) && !known.has(t.name))
      .map(({ name, description }) => ({ name, description })),
    ...(used.has("other") && !known.has("other") ? [{ name: "other", description: "Everything else" }] : []),
  ];
  return { ...doc, paths, tags };
}
