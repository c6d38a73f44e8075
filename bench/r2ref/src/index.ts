// Storage benchmark reference worker: plain fetch handler, one R2 binding, no validation, no
// hashing, no Durable Objects.
//   GET  /obj/:key   → ONE R2 get; the object's bytes (streamed as R2 returns them), 404 if absent
//   PUT  /obj/:key   → ONE R2 put of the body → 201 (used to seed the GET run)
//   PUT  /obj3/:key  → THREE R2 puts of the body, concurrently, to a/<key>, b/<key>, c/<key> → 201
//   GET  /health
interface R2RefEnv {
  BUCKET: R2Bucket;
}

export default {
  async fetch(req: Request, env: R2RefEnv): Promise<Response> {
    const { pathname } = new URL(req.url);
    if (pathname === "/health") return Response.json({ ok: true });
    if (pathname.startsWith("/obj/")) {
      const key = decodeURIComponent(pathname.slice("/obj/".length));
      if (req.method === "GET") {
        const obj = await env.BUCKET.get(key);
        if (!obj) return new Response("not found", { status: 404 });
        return new Response(obj.body, { headers: { "content-type": "application/octet-stream" } });
      }
      if (req.method === "PUT") {
        await env.BUCKET.put(key, await req.arrayBuffer());
        return new Response(null, { status: 201 });
      }
    }
    if (pathname.startsWith("/obj3/") && req.method === "PUT") {
      const key = decodeURIComponent(pathname.slice("/obj3/".length));
      const body = await req.arrayBuffer();
      await Promise.all(["a", "b", "c"].map((p) => env.BUCKET.put(`${p}/${key}`, body)));
      return new Response(null, { status: 201 });
    }
    return new Response("no such route", { status: 404 });
  },
};
