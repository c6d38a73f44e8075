// An external Kademlia peer for the dht test project: a second worker that receives every
// outbound fetch of the EchoNet worker (miniflare outboundService). It speaks the HTTP RPC of
// DESIGN §6 at http://peer.test/rpc with its own routing list and record store, independent of
// EchoNet's code. The test drives it through http://peer-control.test/: /setup {id}, /down,
// /up, /state. When down it answers every RPC with 503 (a dead peer).
const K = 20;
let state = fresh(null);

function fresh(id) {
  return { id, up: true, contacts: new Map(), records: [], rpcs: 0 };
}

function xor(a, b) {
  let out = "";
  for (let i = 0; i < 64; i += 8) out += ((parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0).toString(16).padStart(8, "0");
  return out;
}

function closest(target, except) {
  return [...state.contacts.values()]
    .filter((c) => c.id !== except)
    .map((c) => ({ c, d: xor(target, c.id) }))
    .sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0))
    .slice(0, K)
    .map((x) => x.c);
}

async function keyId(key) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.hostname === "peer-control.test") {
      if (url.pathname === "/setup") {
        const { id } = await request.json();
        state = fresh(id);
        return json({ ok: true });
      }
      if (url.pathname === "/down") state.up = false;
      if (url.pathname === "/up") state.up = true;
      return json({ id: state.id, up: state.up, rpcs: state.rpcs, contacts: [...state.contacts.values()], records: state.records });
    }
    if (url.hostname !== "peer.test" || url.pathname !== "/rpc" || request.method !== "POST") return json({ error: "no such peer" }, 404);
    state.rpcs++;
    if (!state.up || !state.id) return json({ error: "down" }, 503);
    const body = await request.json();
    if (body.from && /^[0-9a-f]{64}$/.test(body.from.id) && typeof body.from.addr === "string") state.contacts.set(body.from.id, { id: body.from.id, addr: body.from.addr });
    switch (body.op) {
      case "PING":
        return json({ id: state.id });
      case "FIND_NODE":
        return json({ id: state.id, nodes: closest(body.target, body.from?.id) });
      case "FIND_VALUE": {
        const kid = await keyId(body.key);
        const now = Date.now();
        return json({ id: state.id, records: state.records.filter((r) => r.key === body.key && Date.parse(r.expiresAt) > now), nodes: closest(kid, body.from?.id) });
      }
      case "STORE":
        state.records = state.records.filter((r) => !(r.key === body.record.key && r.provider === body.record.provider));
        state.records.push(body.record);
        return json({ id: state.id, stored: true });
      default:
        return json({ error: "bad op" }, 400);
    }
  },
};
