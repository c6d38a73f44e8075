// Soak (issue 9): `npm run soak -- --minutes N [--workers W] [--burst B] [--inbox P]`.
// Starts `wrangler dev` on a free loopback port with the bench-derived config (raised rate
// limits; INBOX_MAX_PENDING lowered with --var so overload is reachable on a laptop), drives
// steady mixed traffic (test/helpers/traffic.ts: posts, views, likes, deletes, transfers,
// escrows, chunk uploads) with W workers, and in the last 15 s of every minute a burst of B
// extra workers posting events. Each minute it reports throughput, error rate, 429/503 (with
// or without Retry-After), queue lag (GET /v1/status) and workerd RSS (/proc). At the end it
// waits for the backlog to drain and checks that every accepted event reached a final status.
// Writes bench/results/soak.json and prints a markdown table.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { deriveEchonetConfig, KEEP, ROOT, setTmpDir, sleep, startWrangler, stopAll, waitReady } from "./bench-lib";
import { newActor, prng, runOne, TRAFFIC, type Call, type OpRecord, type TrafficState } from "../test/helpers/traffic";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const MINUTES = arg("minutes", 2);
const WORKERS = arg("workers", 8);
const BURST = arg("burst", 48);
const INBOX = arg("inbox", 400);
const ADMIN_TOKEN = "soak-admin-token";
const MINUTE_MS = Number(process.env.SOAK_MINUTE_MS ?? 60_000);
const BURST_MS = Math.min(15_000, MINUTE_MS / 4);

interface Tally {
  requests: number;
  ok: number;
  client4xx: number;
  limited429: number;
  overloaded503: number;
  other5xx: number;
  missingRetryAfter: number;
}
const newTally = (): Tally => ({ requests: 0, ok: 0, client4xx: 0, limited429: 0, overloaded503: 0, other5xx: 0, missingRetryAfter: 0 });

function workerdRssMb(pgid: number): number {
  let kb = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue; // field 5: process group
      if (!readFileSync(`/proc/${pid}/comm`, "utf8").includes("workerd")) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch {
      /* gone */
    }
  }
  return Math.round(kb / 1024);
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "echonet-soak-"));
  setTmpDir(tmp);
  const { file, changes } = deriveEchonetConfig();
  const extra = ["--var", `ADMIN_TOKEN:${ADMIN_TOKEN}`, "--var", `INBOX_MAX_PENDING:${INBOX}`];
  console.log(`soak: ${MINUTES} min, ${WORKERS} workers, burst +${BURST} workers for ${BURST_MS / 1000} s each minute, INBOX_MAX_PENDING ${INBOX}`);
  console.log(`config: ${changes.join("; ")}`);
  const srv = await startWrangler("echonet-soak", ROOT, file, path.join(tmp, "state"), tmp, extra);
  const startupMs = await waitReady(srv, "/v1/health");
  console.log(`wrangler dev ready on ${srv.base} in ${startupMs} ms`);

  let tally = newTally();
  const call: Call = async (method, p, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    let body: BodyInit | undefined = opts.raw as BodyInit | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }
    let res: Response;
    try {
      res = await fetch(srv.base + p, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      tally.requests++;
      tally.other5xx++;
      return { status: 599, headers: new Headers(), body: String(err) };
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    const t = tally;
    t.requests++;
    if (res.status < 400) t.ok++;
    else if (res.status === 429 || res.status === 503) {
      if (res.status === 429) t.limited429++;
      else t.overloaded503++;
      if (!res.headers.get("retry-after")) t.missingRetryAfter++;
    } else if (res.status >= 500) t.other5xx++;
    else t.client4xx++;
    return { status: res.status, headers: res.headers, body: parsed };
  };
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  // Funded actors.
  const actors = await Promise.all(Array.from({ length: 16 }, () => newActor()));
  for (const a of actors) await call("POST", "/v1/admin/mint", { body: { to: a.did, amount: "100000000" }, headers: admin });
  const state: TrafficState = { call, actors, rand: prng(7), tag: `s${Date.now().toString(36)}`, posts: [], escrows: [], chunks: [], seq: 0 };
  const records: OpRecord[] = [];
  const postOnly = TRAFFIC.filter((o) => o.name === "post" || o.name === "view");

  const rows: Record<string, string | number>[] = [];
  const started = Date.now();
  const end = started + MINUTES * MINUTE_MS;
  let stop = false;
  const steady = Array.from({ length: WORKERS }, async () => {
    while (!stop) {
      const r = await runOne(state).catch(() => null);
      if (r) records.push(r);
    }
  });

  for (let minute = 1; minute <= MINUTES; minute++) {
    const minuteEnd = started + minute * MINUTE_MS;
    tally = newTally();
    const t0 = Date.now();
    await sleep(Math.max(0, minuteEnd - BURST_MS - Date.now()));
    // Overload burst: many more clients, all posting (the witness inbox is the bound).
    let burstOn = true;
    const burst = Array.from({ length: BURST }, async () => {
      while (burstOn) {
        const r = await runOne(state, postOnly).catch(() => null);
        if (r) records.push(r);
      }
    });
    await sleep(Math.max(0, minuteEnd - Date.now()));
    burstOn = false;
    await Promise.all(burst);
    const elapsedS = (Date.now() - t0) / 1000;
    const status = (await fetch(srv.base + "/v1/status").then((r) => r.json())) as any;
    const t = tally;
    rows.push({
      minute,
      "req/s": Math.round(t.requests / elapsedS),
      "ok/s": Math.round(t.ok / elapsedS),
      "error rate": `${((100 * (t.other5xx + t.client4xx)) / Math.max(1, t.requests)).toFixed(2)}%`,
      "4xx": t.client4xx,
      "429s": t.limited429,
      "503s": t.overloaded503,
      "other 5xx": t.other5xx,
      "no Retry-After": t.missingRetryAfter,
      "inbox pending": `${status.inbox.pending}/${status.inbox.max}`,
      "sequencer lag": status.queues.sequencer.lag,
      "height settled/latest": `${status.settledHeight}/${status.latestHeight}`,
      "workerd RSS MB": workerdRssMb(srv.proc.pid!),
    });
    console.log(JSON.stringify(rows[rows.length - 1]));
    if (Date.now() >= end) break;
  }
  stop = true;
  await Promise.all(steady);

  // Recovery: the backlog drains (no growth left behind), and every accepted event is final.
  const drainT0 = Date.now();
  let status: any;
  for (;;) {
    status = await fetch(srv.base + "/v1/status").then((r) => r.json());
    if ((status.inbox.pending === 0 && status.queues.sequencer.lag === 0 && status.settledHeight === status.latestHeight) || Date.now() - drainT0 > 180_000) break;
    await sleep(500);
  }
  const drainMs = Date.now() - drainT0;
  const accepted = records.filter((r) => r.accepted && r.id).map((r) => r.id!);
  const notFinal: string[] = [];
  for (let i = 0; i < accepted.length; i += 64) {
    const rs = await Promise.all(accepted.slice(i, i + 64).map((id) => fetch(`${srv.base}/v1/events/${id}`).then((r) => r.json() as Promise<any>)));
    rs.forEach((r, k) => !["applied", "failed", "rejected"].includes(r.status) && notFinal.push(accepted[i + k]!));
  }
  const statusCounts = status.events;
  const summary = {
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    minutes: MINUTES,
    workers: WORKERS,
    burst: BURST,
    inboxMaxPending: INBOX,
    operations: records.length,
    acceptedEvents: accepted.length,
    acceptedNotFinal: notFinal.length,
    drainMs,
    finalStatus: status,
    eventsByStatus: statusCounts,
    perMinute: rows,
    byKind: Object.fromEntries([...new Set(records.map((r) => r.kind))].map((k) => [k, { sent: records.filter((r) => r.kind === k).length, accepted: records.filter((r) => r.kind === k && r.accepted).length }])),
  };
  mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench/results/soak.json"), JSON.stringify(summary, null, 2) + "\n");
  const cols = Object.keys(rows[0] ?? {});
  console.log(`\n| ${cols.join(" | ")} |\n|${cols.map(() => "---").join("|")}|\n${rows.map((r) => `| ${cols.map((c) => r[c]).join(" | ")} |`).join("\n")}`);
  console.log(`\noperations ${records.length}, accepted events ${accepted.length}, not final after drain: ${notFinal.length}; drained in ${drainMs} ms; events ${JSON.stringify(statusCounts)}`);
  await stopAll();
  if (!KEEP) rmSync(tmp, { recursive: true, force: true });
  if (notFinal.length > 0 || rows.some((r) => Number(r["no Retry-After"]) > 0)) process.exitCode = 1;
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
