// Queue messages are bounded in bytes, not characters: posts whose text is mostly outside
// ASCII (3 bytes a character in UTF-8) must travel the witness inbox and index-updates queues
// as reliably as English ones — every one applied and findable, none stuck or dropped.
import { describe, expect, it } from "vitest";
import { api, freshIp, newIdentity, signedEvent, submit } from "../helpers/client";
import { waitFinal } from "../helpers/ledger";

const ip = freshIp();

describe("posts in non-Latin scripts", () => {
  it("12 concurrent posts of ~19,000 CJK characters (≈57 KB each) all apply and are findable", async () => {
    const who = await Promise.all(Array.from({ length: 12 }, () => newIdentity()));
    const base = "分散型ソーシャルネットワークの証人委員会と台帳と検索。".repeat(700).slice(0, 18_900);
    const ids = await Promise.all(
      who.map(async (w, i) => {
        const r = await submit(await signedEvent(w, "content.post", { title: `長文 ${i}`, text: `${base} 記号${i}号 ` + `uniq${i}tok`, tags: ["cjk"] }), ip);
        expect(r.status, JSON.stringify(r.body)).toBe(202);
        return r.body.id as string;
      }),
    );
    const finals = await Promise.all(ids.map((id) => waitFinal(id, 60_000)));
    expect(finals.map((f) => f.body.status)).toEqual(ids.map(() => "applied"));
    for (let i = 0; i < ids.length; i++) {
      let found = false;
      for (let k = 0; k < 100 && !found; k++) {
        const r = await api("GET", `/v1/search?q=uniq${i}tok`, { ip });
        expect(r.status).toBe(200);
        found = r.body.results.some((x: { id: string }) => x.id === ids[i]);
        if (!found) await new Promise((res) => setTimeout(res, 100));
      }
      expect(found, `post ${i} findable`).toBe(true);
    }
  }, 120_000);
});
