// `npm run demo [-- --url URL] [--admin-token T]`: a story told against a running EchoNet
// network (default http://127.0.0.1:8787, i.e. `npm start`), through the client SDK:
// identities, a chunk upload, posts, likes and a comment, a transfer, a verified receipt,
// a search — then the ad campaign and auction, and the rewards epoch close, when the
// deployment has those capabilities (skipped with a clear message otherwise).
import { EchoNetClient, EchoNetError, generateIdentity, isNotAvailable, unitsToEcho, type Identity, type Submitted } from "../src/client";

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : i >= 0 ? argv[i + 1] : undefined;
};
if (argv.includes("--help")) {
  console.log("usage: npm run demo -- [--url http://127.0.0.1:8787] [--admin-token dev-admin-token]");
  process.exit(0);
}
const url = opt("url") ?? process.env.ECHONET_URL ?? "http://127.0.0.1:8787";
const adminToken = opt("admin-token") ?? process.env.ECHONET_ADMIN_TOKEN ?? "dev-admin-token";

const tty = process.stdout.isTTY;
const c = (code: number) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = c(1);
const dim = c(2);
const green = c(32);
const yellow = c(33);
let step = 0;
// How long each chapter took (the last line names the slowest: the end-to-end test logs it).
const started = Date.now();
const chapters: { title: string; at: number }[] = [];
const chapter = (title: string) => {
  chapters.push({ title, at: Date.now() });
  console.log(`\n${bold(`${++step}. ${title}`)}`);
};
function timing(): string {
  const spans = chapters.map((c, i) => ({ title: c.title, ms: (chapters[i + 1]?.at ?? Date.now()) - c.at }));
  const slowest = spans.reduce((a, b) => (b.ms > a.ms ? b : a));
  return `the story took ${((Date.now() - started) / 1000).toFixed(1)} s; the slowest chapter was “${slowest.title}” (${(slowest.ms / 1000).toFixed(1)} s)`;
}
const say = (s: string) => console.log(`   ${s}`);
const ok = (s: string) => console.log(`   ${green("✓")} ${s}`);
const skip = (s: string) => console.log(`   ${yellow("–")} ${s}`);
const link = (s: string) => dim(s);

const net = new EchoNetClient({
  url,
  adminToken,
  onRetry: (r) => console.log(`   ${yellow("!")} ${r.method} ${r.path} tried again after: ${r.error.message}`),
});
const people: Record<string, Identity> = {};
const as = (name: string) => net.as(people[name]!);
const short = (did: string) => `${did.slice(0, 16)}…${did.slice(-4)}`;

async function final(s: Submitted, what: string) {
  const rec = await s.wait({ timeoutMs: 60_000 });
  if (rec.status === "applied") ok(`${what} ${dim(`applied in block ${rec.receipt?.block}`)}\n     ${link(net.explorerLink("event", rec.id))}`);
  else say(`${yellow("!")} ${what} ended ${rec.status}${rec.reason ? ` (${rec.reason})` : ""}`);
  return rec;
}

/** Runs an optional capability; a missing endpoint (404 no route) is a clean skip. */
async function optional(what: string, fn: () => Promise<void>) {
  try {
    await fn();
  } catch (e) {
    if (isNotAvailable(e)) skip(`${what}: not available on this deployment (${(e as EchoNetError).extra.method} ${(e as EchoNetError).extra.path} → 404); skipped`);
    else throw e;
  }
}

async function main() {
  chapter(`The network at ${url}`);
  const [status, witnesses] = await Promise.all([net.status(), net.witnesses()]);
  say(`settled height ${status.settledHeight}, ${witnesses.witnesses.length} witnesses, committees of ${witnesses.committeeSize} with quorum ${witnesses.quorum}`);
  say(link(`explorer ${url}/   API reference ${url}/docs`));

  chapter("Three people create their identities (Ed25519 did:key, generated locally)");
  for (const name of ["alice", "bob", "carol"]) {
    people[name] = await generateIdentity();
    ok(`${name.padEnd(5)} ${people[name]!.did}`);
  }
  say(dim("alice writes, bob reads and curates, carol advertises"));

  chapter("The admin mints ECHO for alice and carol, and seeds bob's reputation");
  let funded = false;
  try {
    const [m1, m2, r] = await Promise.all([
      net.admin.mint(people.alice!.did, "25000000"),
      net.admin.mint(people.carol!.did, "100000000"),
      net.admin.reputation(people.bob!.did, 40),
    ]);
    await Promise.all([net.waitFor(m1.id), net.waitFor(m2.id), net.waitFor(r.id)]);
    funded = true;
    ok("alice has 25 ECHO, carol 100 ECHO, bob reputation 40");
  } catch (e) {
    if (!(e instanceof EchoNetError && e.code === "unauthorized")) throw e;
    skip(`admin calls refused (${e.code}): pass --admin-token (the local default is dev-admin-token); continuing without money`);
  }

  chapter("alice uploads a picture to the data store (request-signed chunk, replicated)");
  const picture = new TextEncoder().encode(
    `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="80"><text x="10" y="50" font-size="28">sunrise over the bay ${new Date().toISOString()}</text></svg>`,
  );
  const upload = await as("alice").upload(picture, { onProgress: (p) => p.chunksDone === p.chunks && say(dim(`${p.uploadedBytes} bytes uploaded`)) });
  const chunk = upload.chunks[0]!;
  ok(`stored ${chunk.cid} on ${chunk.replicas.map((r) => r.node).join(", ")}`);
  const proofNode = chunk.replicas[0]!.node;
  const storageCheck = await net.verifyStorage(proofNode, chunk.cid, 0);
  ok(`${proofNode} proved it holds the chunk: Merkle proof ${storageCheck.ok ? "verified" : "FAILED"} against root ${storageCheck.meta.merkleRoot.slice(0, 16)}…`);

  chapter("alice posts (signed events, attested by a witness committee, ordered into blocks)");
  const topic = `bay${Date.now().toString(36)}`;
  const posts = await Promise.all([
    as("alice").post({ title: "Sunrise over the bay", text: `Caught the first light over the bay this morning #${topic}`, tags: ["photo", topic], chunks: [chunk.cid] }),
    as("alice").post({ title: "Tide tables", text: `Low tide at 06:12, high at 12:40 — good day for the ${topic} walk`, tags: [topic] }),
  ]);
  const [photo, tides] = await Promise.all([final(posts[0]!, "post “Sunrise over the bay”"), final(posts[1]!, "post “Tide tables”")]);

  chapter("bob engages: a like, a view and a comment");
  await Promise.all([
    as("bob").like(photo.id).then((s) => final(s, "bob likes the photo")),
    as("bob").view(photo.id).then((s) => final(s, "bob views the photo")),
    as("bob").comment(photo.id, "Gorgeous colours!").then((s) => final(s, "bob comments")),
  ]);
  const content = await net.content(photo.id);
  say(`the photo now has ${content.stats.likes} like, ${content.stats.views} view and ${content.stats.comments} comment (tides: ${(await net.content(tides.id)).stats.views} views)`);

  chapter("Anyone can check a receipt: recompute the committee, the quorum and every signature");
  const v = await net.verifyReceipt(photo.id);
  if (v.ok) ok(`receipt of the photo post verified offline: ${v.record.receipt!.attestations.length} attestations, quorum ${v.record.receipt!.quorum}`);
  else say(`${yellow("!")} receipt not verified: ${v.errors.join("; ")}`);
  say(link(net.explorerLink("event", photo.id)));

  chapter("alice tips bob 2.5 ECHO");
  if (funded) {
    await final(await as("alice").transfer(people.bob!.did, "2500000", "thanks for the comment"), "transfer 2.5 ECHO alice → bob");
    const [a, b] = await Promise.all([net.account(people.alice!.did), net.account(people.bob!.did)]);
    say(`alice ${unitsToEcho(a.balance)} ECHO · bob ${unitsToEcho(b.balance)} ECHO ${dim(`(height ${b.height})`)}`);
  } else skip("no money was minted; skipped");

  chapter(`Search for “${topic}”`);
  const deadline = Date.now() + 20_000;
  let found = await net.search(topic);
  while (found.results.length < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    found = await net.search(topic);
  }
  for (const r of found.results) ok(`${r.title} ${dim(`score ${r.score.toPrecision(3)}`)} — ${r.snippet}`);
  say(link(net.explorerLink("search", topic)));

  chapter("carol advertises: a campaign and an auction on alice's page");
  await optional("the ad marketplace", async () => {
    await net.campaigns(people.carol!.did); // probes the capability before spending anything
    if (!funded) return skip("carol has no money; skipped");
    const rec = await final(
      await as("carol").createCampaign({
        name: "Bay kayak tours",
        bid: { model: "cpm", amount: "2000000" },
        budget: "20000000",
        targeting: { keywords: [topic, "bay"], tags: [topic] },
        creative: { title: "Kayak the bay at sunrise", text: "Guided tours every morning", url: "https://example.com/kayak" },
      }),
      "campaign “Bay kayak tours” (20 ECHO budget in escrow)",
    );
    if (rec.status !== "applied") return;
    const win = await as("alice").auction({ placement: "post-footer", context: { keywords: [topic], tags: [topic] } });
    if (!win) return skip("no ad won the auction");
    ok(`auction won by ${win.campaignId.slice(0, 12)}… at ${unitsToEcho(win.price)} ECHO per ${win.model === "cpm" ? "impression" : "click"}`);
    await net.adEvent(win.token, "impression");
    ok("impression recorded");
    const camp = await net.campaign(rec.id);
    say(`campaign: ${camp.impressions} impression(s), spent ${unitsToEcho(camp.spent)} of ${unitsToEcho(camp.budget)} ECHO`);
  });

  chapter("The rewards epoch closes: engagement is scored and ECHO paid out");
  await optional("Proof of Engagement", async () => {
    const epoch = await net.currentEpoch();
    await net.admin.closeEpoch(epoch.epoch);
    ok(`epoch ${epoch.epoch} closing`);
    const until = Date.now() + 60_000;
    let e = await net.epoch(epoch.epoch);
    while (e.status !== "distributed" && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      e = await net.epoch(epoch.epoch);
    }
    say(`epoch ${e.epoch} ${e.status}: pool ${unitsToEcho(e.pool)} ECHO to ${e.recipients} recipient(s)`);
    for (const name of ["alice", "bob"]) {
      try {
        const r = await net.rewards(e.epoch, people[name]!.did);
        ok(`${name} earned ${unitsToEcho(r.total)} ECHO (creator ${unitsToEcho(r.creator)}, curator ${unitsToEcho(r.curator)})`);
      } catch (err) {
        if (err instanceof EchoNetError && err.code === "not_found") say(`${name} earned nothing this epoch`);
        else throw err;
      }
    }
  });

  chapter("Where things stand");
  const supply = await net.supply();
  say(`supply: ${unitsToEcho(supply.minted)} ECHO minted, ${unitsToEcho(supply.circulating)} circulating, ${unitsToEcho(supply.escrowed)} escrowed (height ${supply.height})`);
  for (const name of Object.keys(people)) say(`${name.padEnd(5)} ${link(net.explorerLink("account", people[name]!.did))}`);
  say(`${bold("explore")} ${url}/`);
  console.log(`\n${dim(timing())}`);
}

main().catch((e) => {
  console.error(`\n${e instanceof EchoNetError ? e.describe() : e instanceof Error ? e.stack : String(e)}`);
  if (e instanceof EchoNetError && e.code === "network_error") console.error(`is a network running at ${url}? start one with: npm start`);
  process.exit(1);
});
