// `npm run profile`: where does the CPU go under steady event load? Starts EchoNet with
// `wrangler dev` (bench-derived config: rate limits raised), offers pre-signed content.post
// events at BENCH_PROFILE_RATE/s for BENCH_PROFILE_S seconds with autocannon, records a V8 CPU
// profile of the Worker isolate (every Durable Object runs in it locally) through the inspector
// for the middle of the window, and prints self time by function and by source file. It also
// prints the server's CPU time (all its processes, from /proc) per event made final (applied,
// failed or rejected) from the start of the load to the end of the drain: a steadier A/B figure than a rate on a shared machine
// (BENCH_PROFILE_OFF=1 leaves the profiler out of it).
import { copyFileSync, existsSync, readFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { sign as nodeSign } from "node:crypto";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { canonicalBytes } from "../src/lib/jcs";
import { toBase64Url } from "../src/lib/encoding";
import { ROOT, cdp, cpuSeconds, deriveEchonetConfig, makeAuthors, sleep, startWrangler, stopAll, summarizeProfile, waitReady, type Author } from "./bench-lib";

const RATE = Number(process.env.BENCH_PROFILE_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_PROFILE_S ?? 20);
const KIND = process.env.BENCH_PROFILE_KIND ?? "post"; // "post" or "search" (GET /v1/search over posted docs)

function signPosts(authors: Author[], n: number): string[] {
  const tag = Date.now().toString(36);
  return Array.from({ length: n }, (_, i) => {
    const author = authors[i % authors.length]!;
    const unsigned = { v: 1, kind: "content.post", author: author.did, nonce: `p${tag}-${i.toString(36)}`, createdAt: new Date().toISOString(), body: { text: `profile event ${i}: the quick brown fox jumps over the lazy dog ${["alpha", "beta", "gamma", "delta"][i % 4]}` } };
    return JSON.stringify({ ...unsigned, sig: toBase64Url(new Uint8Array(nodeSign(null, canonicalBytes(unsigned), author.key))) });
  });
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "echonet-profile-"));
  try {
    const { file } = deriveEchonetConfig();
    const srv = await startWrangler("echonet", ROOT, file, path.join(tmp, "state"), tmp);
    await waitReady(srv, "/v1/health");
    const authors = await makeAuthors(500);
    const bodies = signPosts(authors, Math.ceil(RATE * SECONDS * 1.1) + 200);
    let next = 0;
    // warm up
    for (let i = 0; i < 200; i++) await fetch(`${srv.base}/v1/events`, { method: "POST", headers: { "content-type": "application/json" }, body: bodies[next++]! });
    const inspector = await cdp(srv.inspectorPort);
    console.log(`profiling target: ${inspector.title}`);
    await inspector.call("Profiler.enable");
    await inspector.call("Profiler.setSamplingInterval", { interval: 200 });
    const load =
      KIND === "search"
        ? autocannon({ url: `${srv.base}/v1/search?q=fox+alpha&limit=10`, connections: 50, duration: SECONDS })
        : autocannon({
            url: `${srv.base}/v1/events`,
            connections: 50,
            duration: SECONDS,
            overallRate: RATE,
            requests: [{ method: "POST", headers: { "content-type": "application/json" }, setupRequest: (req: Record<string, unknown>) => ({ ...req, body: bodies[Math.min(next++, bodies.length - 1)] }) }],
          });
    const cpu0 = cpuSeconds(srv.proc.pid!);
    const final0 = madeFinal(await eventCounts(srv.base));
    const samples: string[] = [];
    const t0 = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          samples.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${JSON.stringify(await eventCounts(srv.base))}`);
        } catch (err) {
          samples.push(`status failed: ${String(err)}`);
        }
        await sleep(2000);
      }
    })();
    const profiling = process.env.BENCH_PROFILE_OFF !== "1";
    await sleep((SECONDS * 1000) / 4);
    if (profiling) await inspector.call("Profiler.start");
    await sleep((SECONDS * 1000) / 2);
    const { profile } = profiling ? await inspector.call("Profiler.stop") : { profile: { nodes: [], samples: [], timeDeltas: [] } };
    const result = await load;
    await sleep(Number(process.env.BENCH_PROFILE_DRAIN_S ?? 10) * 1000);
    const cpu = cpuSeconds(srv.proc.pid!) - cpu0;
    const after = await eventCounts(srv.base);
    const final = madeFinal(after) - final0;
    sampling = false;
    await sampler;
    console.log(samples.join("\n"));
    if (process.env.BENCH_PROFILE_GREP) for (const line of readFileSync(srv.log, "utf8").split("\n")) if (line.includes(process.env.BENCH_PROFILE_GREP)) console.log(line);
    inspector.close();
    console.log(`load: ${(result.requests.total / result.duration).toFixed(0)} req/s, statuses ${JSON.stringify(result.statusCodeStats)}`);
    console.log(`status after: ${JSON.stringify(after)}`);
    console.log(`server CPU: ${cpu.toFixed(2)} s for ${final} events made final → ${((cpu * 1000) / Math.max(1, final)).toFixed(3)} ms an event${profiling ? " (profiler on for half the load)" : ""}`);
    if (!profiling) return;
    writeFileSync(path.join(ROOT, ".wrangler", "profile.cpuprofile"), JSON.stringify(profile));
    // The bundle the profile's line numbers refer to (wrangler removes its dev dir on exit).
    const devRoot = path.join(path.dirname(file), ".wrangler", "tmp");
    const dev = readdirSync(devRoot)
      .filter((d) => d.startsWith("dev-"))
      .map((d) => path.join(devRoot, d, "index.js"))
      .filter((f) => existsSync(f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (dev) copyFileSync(dev, path.join(ROOT, ".wrangler", "profile-bundle.js"));
    console.log(summarizeProfile(profile));
    console.log(`\nfull profile: .wrangler/profile.cpuprofile (open in Chrome DevTools)`);
  } finally {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The event counts by status of GET /v1/status. */
async function eventCounts(base: string): Promise<Record<string, number>> {
  return ((await (await fetch(`${base}/v1/status`)).json()) as { events: Record<string, number> }).events;
}

/** Events that reached a final status (applied, failed or rejected). */
const madeFinal = (e: Record<string, number>): number => (e.applied ?? 0) + (e.failed ?? 0) + (e.rejected ?? 0);

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
