// `npm run bench` (DESIGN §12): starts, offline, the reference worker (bench/reference: one Hono
// route → one DO RPC → one SQLite write) and the EchoNet stack with `wrangler dev` on loopback
// ports, drives both with autocannon in the same run, and reports every EchoNet figure as a
// ratio to the reference req/s. Writes bench/results/latest.json and docs/BENCHMARKS.md.
//
//   npm run bench                 full run (≈ 3–4 minutes)
//   BENCH_QUICK=1 npm run bench   smoke test (short durations, ≈ 1 minute)
//
// Knobs (env): BENCH_CONNECTIONS (default 50), BENCH_SUSTAINED_RATIO (offered load of the
// sustained phase as a fraction of the reference req/s, default 0.35: the 0.30 target plus margin),
// BENCH_INBOX_MAX_PENDING (override the inbox bound for the run; default: unchanged),
// BENCH_KEEP=1 keeps the temp dir (persisted state and wrangler logs).
import { spawn, type ChildProcess } from "node:child_process";
import { KeyObject, sign as nodeSign } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { canonicalBytes } from "../src/lib/jcs";
import { didKeyFromPublicKey } from "../src/lib/did";
import { toBase64Url } from "../src/lib/encoding";
import { verifyEventSignature } from "../src/lib/events";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.env.BENCH_QUICK === "1";
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SUSTAINED_RATIO = Number(process.env.BENCH_SUSTAINED_RATIO ?? 0.35);
const KEEP = process.env.BENCH_KEEP === "1";
/** Optional override of INBOX_MAX_PENDING (passed as --var; unset = the wrangler.toml default). */
const INBOX_OVERRIDE = process.env.BENCH_INBOX_MAX_PENDING;

const D = QUICK
  ? { warmup: 1, reference: 4, accept: 4, sustained: 8, drainCap: 20, authors: 200 }
  : { warmup: 3, reference: 20, accept: 20, sustained: 60, drainCap: 45, authors: 2000 };

const TARGETS = { acceptRatio: 0.6, attestedRatio: 0.3 };
const RAISED_LIMIT = 1_000_000;
const READY_TIMEOUT_MS = 120_000;
const WARM_EVENTS = 100;

// ---------------------------------------------------------------- process management

const children: { name: string; proc: ChildProcess }[] = [];

function killAll(signal: NodeJS.Signals = "SIGTERM"): void {
  for (const { proc } of children) {
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) continue;
    try {
      process.kill(-proc.pid, signal); // the child's own process group (spawned detached)
    } catch {
      /* already gone */
    }
  }
}

async function stopAll(): Promise<void> {
  killAll("SIGTERM");
  const deadline = Date.now() + 5000;
  while (children.some(({ proc }) => proc.exitCode === null && proc.signalCode === null) && Date.now() < deadline) {
    await sleep(100);
  }
  killAll("SIGKILL");
}

let interrupted = false;
let tmpDir: string | undefined;
process.on("exit", () => killAll("SIGKILL"));
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping wrangler processes`);
    void stopAll()
      .then(() => tmpDir && !KEEP && rmSync(tmpDir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function startWrangler(name: string, cwd: string, config: string, persistTo: string, logDir: string, extra: string[] = []) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const args = [
    "wrangler", "dev",
    "--config", config,
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-ip", "127.0.0.1",
    "--inspector-port", String(inspectorPort),
    "--local-protocol", "http",
    "--persist-to", persistTo,
    "--show-interactive-dev-session=false",
    "--live-reload=false",
    "--log-level", "warn",
    ...extra,
  ];
  const log = createWriteStream(path.join(logDir, `${name}.log`));
  const proc = spawn("npx", args, {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "1", FORCE_COLOR: "0" },
  });
  proc.stdout!.pipe(log);
  proc.stderr!.pipe(log);
  children.push({ name, proc });
  return { name, proc, port, base: `http://127.0.0.1:${port}`, log: path.join(logDir, `${name}.log`) };
}

type Server = Awaited<ReturnType<typeof startWrangler>>;

async function waitReady(s: Server, healthPath: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < READY_TIMEOUT_MS) {
    if (s.proc.exitCode !== null) throw new Error(`${s.name}: wrangler exited with ${s.proc.exitCode}; see ${s.log}`);
    try {
      const r = await fetch(s.base + healthPath, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return Date.now() - t0;
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }
  throw new Error(`${s.name}: not ready after ${READY_TIMEOUT_MS} ms; see ${s.log}`);
}

// ---------------------------------------------------------------- derived EchoNet config

/** wrangler.toml with the rate limits raised and `main` absolute; the original is untouched. */
function deriveEchonetConfig(): { file: string; changes: string[] } {
  const src = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const changes: string[] = [];
  let out = src.replace(/^main\s*=\s*"([^"]+)"/m, (_m, main: string) => {
    const abs = path.resolve(ROOT, main);
    changes.push(`main = "${abs}"`);
    return `main = ${JSON.stringify(abs)}`;
  });
  if (!changes.length) throw new Error("wrangler.toml: no `main` line found");
  let limits = 0;
  out = out.replace(
    /(\[\[ratelimits\]\][^[]*?name\s*=\s*"([A-Z_]+)"[^[]*?simple\s*=\s*\{\s*limit\s*=\s*)(\d+)/g,
    (_m, head: string, binding: string, limit: string) => {
      limits++;
      changes.push(`${binding}: limit ${limit} → ${RAISED_LIMIT}`);
      return head + RAISED_LIMIT;
    },
  );
  if (limits === 0) throw new Error("wrangler.toml: no [[ratelimits]] simple limits found to raise");
  if (INBOX_OVERRIDE) changes.push(`INBOX_MAX_PENDING → ${INBOX_OVERRIDE} (--var)`);
  const dir = path.join(ROOT, ".wrangler", "bench");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "wrangler.toml");
  writeFileSync(file, `# GENERATED by scripts/bench.ts from wrangler.toml — do not edit.\n${out}`);
  return { file, changes };
}

// ---------------------------------------------------------------- identities and events

interface Author {
  did: string;
  key: KeyObject;
}

async function makeAuthors(n: number): Promise<Author[]> {
  const out: Author[] = [];
  for (let i = 0; i < n; i++) {
    const kp = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", kp.publicKey));
    out.push({ did: didKeyFromPublicKey(raw), key: KeyObject.from(kp.privateKey) });
  }
  return out;
}

let nonceSeq = 0;
const runTag = Date.now().toString(36);

/** Distinct, freshly signed content.post events (JSON strings), round-robin over authors. */
function signEvents(authors: Author[], n: number): string[] {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const author = authors[i % authors.length]!;
    const seq = nonceSeq++;
    const unsigned = {
      v: 1,
      kind: "content.post",
      author: author.did,
      nonce: `b${runTag}-${seq.toString(36)}`,
      createdAt: new Date().toISOString(),
      body: { text: `bench event ${seq}: the quick brown fox jumps over the lazy dog` },
    };
    // Ed25519 over JCS(event without sig), base64url without padding (DESIGN §4).
    const sig = toBase64Url(new Uint8Array(nodeSign(null, canonicalBytes(unsigned), author.key)));
    out[i] = JSON.stringify({ ...unsigned, sig });
  }
  return out;
}

// ---------------------------------------------------------------- load

interface LoadResult {
  durationS: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
  exhausted: number;
}

async function load(opts: {
  url: string;
  durationS: number;
  connections: number;
  bodies?: string[];
  fixedBody?: string;
  overallRate?: number;
}): Promise<LoadResult> {
  let next = 0;
  let exhausted = 0;
  const headers = { "content-type": "application/json" };
  const request: Record<string, unknown> = { method: "POST", headers };
  if (opts.bodies) {
    const bodies = opts.bodies;
    request.setupRequest = (req: Record<string, unknown>) => {
      if (next >= bodies.length) {
        exhausted++;
        return { ...req, body: bodies[0] }; // a repeat: answered 200 "known", never counted as accepted
      }
      return { ...req, body: bodies[next++] };
    };
  } else {
    request.body = opts.fixedBody;
  }
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationS,
    pipelining: 1,
    timeout: 30,
    requests: [request],
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
  });
  const statusCounts: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = (v as { count: number }).count;
  const durationS = result.duration;
  return {
    durationS,
    requests: result.requests.total,
    reqPerSec: result.requests.total / durationS,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    statusCounts,
    errors: result.errors,
    timeouts: result.timeouts,
    exhausted,
  };
}

// ---------------------------------------------------------------- EchoNet status

interface StatusSample {
  t: number; // ms since the phase started
  pending: number;
  attested: number;
  rejected: number;
  inboxPending: number;
}

async function status(base: string, t0: number): Promise<StatusSample> {
  const r = await fetch(`${base}/v1/status`, { signal: AbortSignal.timeout(10_000) });
  if (!r.ok) throw new Error(`GET /v1/status → ${r.status}`);
  const b = (await r.json()) as { events: Record<string, number>; inbox: { pending: number } };
  return {
    t: Date.now() - t0,
    pending: b.events.pending ?? 0,
    attested: b.events.attested ?? 0,
    rejected: b.events.rejected ?? 0,
    inboxPending: b.inbox?.pending ?? 0,
  };
}

async function waitDrained(base: string, capS: number): Promise<{ drainedMs: number | null; pendingAtStart: number; last: StatusSample }> {
  const t0 = Date.now();
  let last = await status(base, t0);
  const pendingAtStart = last.pending;
  while (last.pending > 0) {
    if (Date.now() - t0 > capS * 1000) return { drainedMs: null, pendingAtStart, last };
    await sleep(250);
    last = await status(base, t0);
  }
  return { drainedMs: Date.now() - t0, pendingAtStart, last };
}

/** Samples GET /v1/status about once a second until stopped (a slow answer skips a tick). */
function startSampler(base: string, t0: number) {
  const samples: StatusSample[] = [];
  let running = true;
  let inFlight = false;
  let errors = 0;
  const tick = () => {
    if (!running || inFlight) return;
    inFlight = true;
    status(base, t0)
      .then((s) => void (running && samples.push(s)))
      .catch(() => void errors++)
      .finally(() => (inFlight = false));
  };
  tick();
  const timer = setInterval(tick, 1000);
  return {
    stop() {
      running = false;
      clearInterval(timer);
      return { samples, errors };
    },
  };
}

/** attested/s between the first sample at or after `fromMs` and the last at or before `toMs`. */
function attestedRate(samples: StatusSample[], fromMs: number, toMs: number): number {
  const win = samples.filter((s) => s.t >= fromMs && s.t <= toMs);
  if (win.length < 2) return NaN;
  const a = win[0]!;
  const b = win.at(-1)!;
  return ((b.attested - a.attested) / (b.t - a.t)) * 1000;
}

/** Least-squares slope of pending over time, in events per second. */
function slopePerS(samples: StatusSample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((s, x) => s + x.t, 0) / n;
  const my = samples.reduce((s, x) => s + x.pending, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mx) * (s.pending - my);
    den += (s.t - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}

// ---------------------------------------------------------------- main

const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
const log = (...a: unknown[]) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

async function main() {
  const startedAt = new Date();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "echonet-bench-"));
  tmpDir = tmp;
  log(`mode ${QUICK ? "QUICK" : "full"}; temp dir ${tmp}`);
  const wranglerVersion = JSON.parse(readFileSync(path.join(ROOT, "node_modules/wrangler/package.json"), "utf8")).version as string;
  const autocannonVersion = JSON.parse(readFileSync(path.join(ROOT, "node_modules/autocannon/package.json"), "utf8")).version as string;

  try {
    const derived = deriveEchonetConfig();
    log(`derived config ${path.relative(ROOT, derived.file)}: ${derived.changes.join("; ")}`);

    // Keys first (CPU-bound), so the workers start on a quiet machine.
    const tk = Date.now();
    const authors = await makeAuthors(D.authors);
    log(`${authors.length} Ed25519 authors in ${Date.now() - tk} ms`);
    const probe = JSON.parse(signEvents(authors, 1)[0]!);
    if (!(await verifyEventSignature(probe))) throw new Error("self-check failed: a bench event does not verify with src/lib/events");

    const ref = await startWrangler("reference", path.join(ROOT, "bench/reference"), "wrangler.toml", path.join(tmp, "reference-state"), tmp);
    const echo = await startWrangler(
      "echonet", ROOT, derived.file, path.join(tmp, "echonet-state"), tmp,
      INBOX_OVERRIDE ? ["--var", `INBOX_MAX_PENDING:${INBOX_OVERRIDE}`] : [],
    );
    const [refReadyMs, echoReadyMs] = await Promise.all([waitReady(ref, "/health"), waitReady(echo, "/v1/health")]);
    log(`reference ready on ${ref.base} (${refReadyMs} ms), echonet ready on ${echo.base} (${echoReadyMs} ms)`);

    // Warm-up: provision the witnesses and take one event through the whole pipeline.
    const wr = await fetch(`${echo.base}/v1/witnesses`);
    if (!wr.ok) throw new Error(`GET /v1/witnesses → ${wr.status}`);
    const warm = signEvents(authors, WARM_EVENTS);
    for (let i = 0; i < warm.length; i += 10) {
      await Promise.all(
        warm.slice(i, i + 10).map(async (b) => {
          const r = await fetch(`${echo.base}/v1/events`, { method: "POST", headers: { "content-type": "application/json" }, body: b });
          if (r.status !== 202) throw new Error(`warm-up POST /v1/events → ${r.status} ${await r.text()}`);
        }),
      );
    }
    const warmDrain = await waitDrained(echo.base, 60);
    if (warmDrain.drainedMs === null) throw new Error(`warm-up events not attested within 60 s: ${JSON.stringify(warmDrain.last)}`);
    log(`warm-up: ${WARM_EVENTS} events attested (pending drained in ${warmDrain.drainedMs} ms)`);

    // (a) reference — run three times (before accept, before sustained, at the end) because the
    // machine may be shared: the runs bracket the system phases and the ratios use their mean.
    const sampleBody = signEvents(authors, 1)[0]!;
    const loadAvg: Record<string, number> = {};
    const refRuns: (LoadResult & { label: string; okPerSec: number })[] = [];
    const runReference = async (label: string, warmupS: number) => {
      await load({ url: `${ref.base}/ref`, durationS: warmupS, connections: CONNECTIONS, fixedBody: sampleBody });
      const r = await load({ url: `${ref.base}/ref`, durationS: D.reference, connections: CONNECTIONS, fixedBody: sampleBody });
      loadAvg[label] = os.loadavg()[0]!;
      const okPerSec = (r.statusCounts["202"] ?? 0) / r.durationS;
      refRuns.push({ ...r, label, okPerSec: round(okPerSec) });
      log(`reference ${label}: ${round(okPerSec)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, statuses ${JSON.stringify(r.statusCounts)}`);
      return okPerSec;
    };
    const refMean = () => refRuns.reduce((a, r) => a + r.okPerSec, 0) / refRuns.length;
    log(`reference: ${D.reference} s, ${CONNECTIONS} connections`);
    await runReference("ref1", D.warmup);
    let refRps = refMean();

    // (b) accept: every request a different pre-signed event. Sized from the reference rate
    // (intake cannot outrun what one route → one DO → one write does) plus headroom.
    const acceptPool = Math.ceil(refRps * (D.accept + D.warmup) * 1.3) + 2000;
    const ts = Date.now();
    const acceptBodies = signEvents(authors, acceptPool);
    log(`accept: signed ${acceptPool} distinct events in ${Date.now() - ts} ms; ${D.accept} s, ${CONNECTIONS} connections`);
    const acceptT0 = Date.now();
    const acceptBefore = await status(echo.base, acceptT0);
    const acceptSampler = startSampler(echo.base, acceptT0);
    const accept = await load({ url: `${echo.base}/v1/events`, durationS: D.accept, connections: CONNECTIONS, bodies: acceptBodies });
    const acceptSampled = acceptSampler.stop();
    const acceptAfter = await status(echo.base, acceptT0);
    loadAvg.accept = os.loadavg()[0]!;
    const attestedDuringAccept = attestedRate([acceptBefore, ...acceptSampled.samples, acceptAfter], 0, Infinity);
    const accepted = accept.statusCounts["202"] ?? 0;
    const acceptRps = accepted / accept.durationS;
    log(
      `accept: ${round(acceptRps)} 202/s (${accepted} of ${accept.requests}), p50 ${accept.p50Ms} ms, p99 ${accept.p99Ms} ms, statuses ${JSON.stringify(accept.statusCounts)}, exhausted ${accept.exhausted}`,
    );
    log(`accept: status after: pending ${acceptAfter.pending}, attested ${acceptAfter.attested}, rejected ${acceptAfter.rejected}; attested during the run ${round(attestedDuringAccept)}/s`);
    const acceptDrain = await waitDrained(echo.base, D.drainCap);
    log(`accept backlog: ${acceptDrain.pendingAtStart} pending → ${acceptDrain.drainedMs === null ? `NOT drained in ${D.drainCap} s (${acceptDrain.last.pending} left)` : `drained in ${acceptDrain.drainedMs} ms`}`);

    await runReference("ref2", 1);
    refRps = refMean();

    // (c) sustained: a steady offered load for D.sustained s, /v1/status sampled every second.
    const offered = Math.max(1, Math.ceil(refRps * SUSTAINED_RATIO));
    const sustainedConns = Math.max(CONNECTIONS, 100);
    const sustainedPool = Math.ceil(offered * D.sustained * 1.05) + 2000;
    const ts2 = Date.now();
    const sustainedBodies = signEvents(authors, sustainedPool);
    log(`sustained: signed ${sustainedPool} events in ${Date.now() - ts2} ms; offering ${offered} req/s for ${D.sustained} s`);
    const t0 = Date.now();
    const startSample = await status(echo.base, t0);
    const sampler = startSampler(echo.base, t0);
    const sustained = await load({
      url: `${echo.base}/v1/events`,
      durationS: D.sustained,
      connections: sustainedConns,
      bodies: sustainedBodies,
      overallRate: offered,
    });
    const { samples: during, errors: sampleErrors } = sampler.stop();
    const end = await status(echo.base, t0);
    loadAvg.sustained = os.loadavg()[0]!;
    const samples = [startSample, ...during, end];
    const first = startSample;
    // Whole window (conservative: includes the pipeline filling up) and steady state (after 5 s).
    const attestedPerS = attestedRate(samples, 0, Infinity);
    const steadyFromMs = Math.min(5000, (D.sustained * 1000) / 4);
    const attestedSteadyPerS = attestedRate(samples, steadyFromMs, Infinity);
    const sustainedAccepted = sustained.statusCounts["202"] ?? 0;
    const pendings = samples.map((s) => s.pending);
    const k = Math.min(5, Math.floor(samples.length / 3)) || 1;
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const headMean = avg(pendings.slice(1, 1 + k)); // skip the pre-load sample
    const tailMean = avg(pendings.slice(-k));
    const slope = slopePerS(samples.slice(1));
    // Growth: the tail of the window holds clearly more pending than its head (more than half
    // a second of offered load and 50 events) — a steady system holds a flat backlog.
    const backlogGrew = tailMean - headMean > Math.max(50, offered * 0.5);
    log(
      `sustained: offered ${offered}/s, 202 ${round(sustainedAccepted / sustained.durationS)}/s, attested ${round(attestedPerS)}/s (steady ${round(attestedSteadyPerS)}/s); pending first ${first.pending} → last ${end.pending}, max ${Math.max(...pendings)}, slope ${round(slope)}/s, grew ${backlogGrew}`,
    );
    const sustainedDrain = await waitDrained(echo.base, D.drainCap);
    log(`sustained backlog: ${sustainedDrain.pendingAtStart} pending → ${sustainedDrain.drainedMs === null ? `NOT drained in ${D.drainCap} s` : `drained in ${sustainedDrain.drainedMs} ms`}`);
    const final = await status(echo.base, Date.now());

    await runReference("ref3", 1);
    refRps = refMean();
    log(`reference mean of ${refRuns.length} runs: ${round(refRps)} req/s`);

    const results = {
      schema: "echonet.bench.v1",
      mode: QUICK ? "quick" : "full",
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpuModel: os.cpus()[0]?.model ?? "unknown",
        cpuCount: os.cpus().length,
        totalMemoryGiB: round(os.totalmem() / 2 ** 30, 1),
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
        wrangler: wranglerVersion,
        autocannon: autocannonVersion,
      },
      config: {
        connections: CONNECTIONS,
        durationsS: D,
        authors: authors.length,
        derivedConfig: path.relative(ROOT, derived.file),
        derivedConfigChanges: derived.changes,
        sustainedOfferedRatio: SUSTAINED_RATIO,
        sustainedConnections: sustainedConns,
      },
      reference: {
        okPerSec: round(refRps),
        min: Math.min(...refRuns.map((r) => r.okPerSec)),
        max: Math.max(...refRuns.map((r) => r.okPerSec)),
        p50Ms: round(refRuns.reduce((a, r) => a + r.p50Ms, 0) / refRuns.length),
        p99Ms: round(refRuns.reduce((a, r) => a + r.p99Ms, 0) / refRuns.length),
        runs: refRuns,
      },
      loadAverage1m: Object.fromEntries(Object.entries(loadAvg).map(([k, v]) => [k, round(v, 2)])),
      accept: {
        ...accept,
        acceptedPerSec: round(acceptRps),
        accepted,
        nonAccepted: accept.requests - accepted,
        ratio: round(acceptRps / refRps, 3),
        pool: acceptPool,
        statusAfter: acceptAfter,
        statusBefore: acceptBefore,
        attestedPerSecDuringRun: round(attestedDuringAccept),
        drainRatePerSec:
          acceptDrain.drainedMs && acceptDrain.pendingAtStart > 0 ? round((acceptDrain.pendingAtStart / acceptDrain.drainedMs) * 1000) : null,
        samples: acceptSampled.samples,
        drain: acceptDrain,
      },
      sustained: {
        ...sustained,
        offeredPerSec: offered,
        acceptedPerSec: round(sustainedAccepted / sustained.durationS),
        accepted: sustainedAccepted,
        nonAccepted: sustained.requests - sustainedAccepted,
        attestedPerSec: round(attestedPerS),
        attestedSteadyPerSec: round(attestedSteadyPerS),
        steadyFromMs,
        ratio: round(attestedPerS / refRps, 3),
        steadyRatio: round(attestedSteadyPerS / refRps, 3),
        backlog: {
          first: first.pending,
          last: end.pending,
          max: Math.max(...pendings),
          headMean: round(headMean),
          tailMean: round(tailMean),
          slopePerSec: round(slope),
          grew: backlogGrew,
        },
        samples,
        sampleErrors,
        drain: sustainedDrain,
      },
      finalStatus: final,
      targets: {
        accept: { target: TARGETS.acceptRatio, ratio: round(acceptRps / refRps, 3), met: acceptRps / refRps >= TARGETS.acceptRatio },
        attested: {
          target: TARGETS.attestedRatio,
          ratio: round(attestedPerS / refRps, 3),
          noBacklogGrowth: !backlogGrew,
          met: attestedPerS / refRps >= TARGETS.attestedRatio && !backlogGrew,
        },
      },
    };
    mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
    const jsonFile = path.join(ROOT, "bench/results", QUICK ? "quick.json.tmp" : "latest.json");
    writeFileSync(jsonFile, JSON.stringify(results, null, 2) + "\n");
    log(`wrote ${path.relative(ROOT, jsonFile)}`);
    if (!QUICK) {
      writeFileSync(path.join(ROOT, "docs/BENCHMARKS.md"), renderMarkdown(results));
      log("wrote docs/BENCHMARKS.md");
    } else {
      log("quick mode: docs/BENCHMARKS.md left unchanged");
    }
    log(`targets: accept ${results.targets.accept.met ? "MET" : "NOT met"} (${results.targets.accept.ratio}); attested ${results.targets.attested.met ? "MET" : "NOT met"} (${results.targets.attested.ratio}, backlog grew: ${backlogGrew})`);
  } finally {
    await stopAll();
    if (!KEEP) rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
}

// ---------------------------------------------------------------- report

type Results = Record<string, any>;

function renderMarkdown(r: Results): string {
  const ref = r.reference.okPerSec as number;
  const yes = (b: boolean) => (b ? "yes" : "**no**");
  const ms = (x: number) => `${x} ms`;
  const sc = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ") || "none";
  const drain = (d: { drainedMs: number | null; pendingAtStart: number }) =>
    d.drainedMs === null ? `not drained within ${r.config.durationsS.drainCap} s (from ${d.pendingAtStart})` : `${round(d.drainedMs / 1000, 2)} s (from ${d.pendingAtStart} pending)`;
  const b = r.sustained.backlog;
  return `# Benchmarks

Generated by \`npm run bench\` (scripts/bench.ts) on ${r.finishedAt}. Raw data:
\`bench/results/latest.json\`. Do not edit by hand — rerun the bench.

## Results

| Metric | Value | Reference | Ratio | Target | Met? |
|---|---|---|---|---|---|
| Reference req/s (POST /ref → 1 DO RPC → 1 SQLite INSERT), mean of ${r.reference.runs.length} runs | ${ref} req/s (runs: ${r.reference.runs.map((x: any) => x.okPerSec).join(", ")}) | — | 1.00 | — | — |
| Reference latency p50 / p99 (mean of ${r.reference.runs.length} runs) | ${ms(r.reference.p50Ms)} / ${ms(r.reference.p99Ms)} | — | — | — | — |
| POST /v1/events accepted (202/s) | ${r.accept.acceptedPerSec} req/s | ${ref} req/s | ${r.accept.ratio.toFixed(3)} | ≥ 0.60 | ${yes(r.targets.accept.met)} |
| POST /v1/events latency p50 / p99 | ${ms(r.accept.p50Ms)} / ${ms(r.accept.p99Ms)} | ${ms(r.reference.p50Ms)} / ${ms(r.reference.p99Ms)} | ${round(r.accept.p50Ms / Math.max(r.reference.p50Ms, 1e-9), 2)}× / ${round(r.accept.p99Ms / Math.max(r.reference.p99Ms, 1e-9), 2)}× | — | — |
| Events reaching \`attested\` per second, sustained ${r.config.durationsS.sustained} s (whole window) | ${r.sustained.attestedPerSec} /s | ${ref} req/s | ${r.sustained.ratio.toFixed(3)} | ≥ 0.30, no backlog growth | ${yes(r.targets.attested.met)} |
| — same, steady state (from ${r.sustained.steadyFromMs / 1000} s) | ${r.sustained.attestedSteadyPerSec} /s | ${ref} req/s | ${r.sustained.steadyRatio.toFixed(3)} | (informative) | — |
| Backlog (pending) during the sustained window | first ${b.first}, last ${b.last}, max ${b.max}; slope ${b.slopePerSec}/s | — | — | no growth | ${yes(!b.grew)} |
| Drain time after the sustained load stops | ${drain(r.sustained.drain)} | — | — | — | — |
| Non-202 answers in the accept run | ${r.accept.nonAccepted} (${sc(Object.fromEntries(Object.entries(r.accept.statusCounts).filter(([k]) => k !== "202")) as Record<string, number>)}) | — | — | — | — |
| Attestation rate with intake idle (accept backlog ÷ its drain time, informative) | ${r.accept.drainRatePerSec ?? "n/a"} /s | ${ref} req/s | ${r.accept.drainRatePerSec ? round(r.accept.drainRatePerSec / ref, 3).toFixed(3) : "n/a"} | — | — |
| Attestation rate while intake is saturated (accept run, informative) | ${r.accept.attestedPerSecDuringRun} /s | ${ref} req/s | ${round(r.accept.attestedPerSecDuringRun / ref, 3).toFixed(3)} | — | — |

Detail:

- Reference, measured before the accept phase (ref1), before the sustained phase (ref2) and at the end (ref3); the ratios use the mean (runs range ${r.reference.min}–${r.reference.max} req/s):
${r.reference.runs.map((x: any) => `  - ${x.label}: ${x.requests} requests in ${x.durationS} s, ${x.okPerSec}/s, p50 ${ms(x.p50Ms)}, p99 ${ms(x.p99Ms)}, statuses ${sc(x.statusCounts)}, errors ${x.errors}, timeouts ${x.timeouts}`).join("\n")}
- Accept: ${r.accept.requests} requests in ${r.accept.durationS} s, each a different pre-signed event (pool ${r.accept.pool}, ${r.accept.exhausted} requests past the pool); ${r.accept.accepted} answered 202, ${r.accept.nonAccepted} not (statuses ${sc(r.accept.statusCounts)}; errors ${r.accept.errors}, timeouts ${r.accept.timeouts}). Latency percentiles are over all responses. A 503 is \`overloaded\`: the pending events reached the inbox bound (\`INBOX_MAX_PENDING\`, split evenly over the event shards). While the run lasted, events reached \`attested\` at ${r.accept.attestedPerSecDuringRun}/s. Right after it: pending ${r.accept.statusAfter.pending}, attested ${r.accept.statusAfter.attested}, rejected ${r.accept.statusAfter.rejected}; that backlog drained in ${drain(r.accept.drain)}.
- Sustained: offered ${r.sustained.offeredPerSec} req/s (${r.config.sustainedOfferedRatio} × reference) over ${r.config.sustainedConnections} connections for ${r.sustained.durationS} s; ${r.sustained.accepted} answered 202 (${r.sustained.acceptedPerSec}/s), ${r.sustained.nonAccepted} not (statuses ${sc(r.sustained.statusCounts)}); latency p50 ${ms(r.sustained.p50Ms)}, p99 ${ms(r.sustained.p99Ms)}. Pending head mean ${b.headMean} vs tail mean ${b.tailMean} (${r.sustained.samples.length} samples, ${r.sustained.sampleErrors} sample errors).
- 1-minute load average at the end of each phase: ${Object.entries(r.loadAverage1m).map(([k, v]) => `${k} ${v}`).join(", ")} (on ${r.machine.cpuCount} CPUs).
- Final status: pending ${r.finalStatus.pending}, attested ${r.finalStatus.attested}, rejected ${r.finalStatus.rejected}.

## Machine

| | |
|---|---|
| CPU | ${r.machine.cpuModel} × ${r.machine.cpuCount} |
| Memory | ${r.machine.totalMemoryGiB} GiB |
| OS | ${r.machine.platform} |
| Node | ${r.machine.node} |
| wrangler | ${r.machine.wrangler} |
| autocannon | ${r.machine.autocannon} |
| Date | ${r.startedAt} |

## Method

1. \`scripts/bench.ts\` derives \`${r.config.derivedConfig}\` from \`wrangler.toml\` (which is never
   edited): ${r.config.derivedConfigChanges.map((c: string) => `\`${c}\``).join(", ")}. Every other
   setting${r.config.derivedConfigChanges.some((c: string) => c.startsWith("INBOX_MAX_PENDING")) ? "" : ", including \`INBOX_MAX_PENDING\` (10,000 across 16 shards)"}, stays as in \`wrangler.toml\`.
2. It generates ${r.config.authors} Ed25519 authors with Node WebCrypto and signs \`content.post\`
   events exactly as a client would (Ed25519 over RFC 8785 JCS of the event without \`sig\`,
   base64url without padding); a self-check verifies one with \`src/lib/events.ts\`.
3. It starts, offline, \`npx wrangler dev\` twice on free 127.0.0.1 ports, each with
   \`--persist-to\` a fresh temp dir and \`CLOUDFLARE_CF_FETCH_ENABLED=false\`,
   \`WRANGLER_SEND_METRICS=false\`: the reference worker (\`bench/reference\`: one Hono route
   \`POST /ref\` → one RPC to one SQLite-backed Durable Object → one \`INSERT\`) and the EchoNet
   stack. It polls \`/health\` and \`/v1/health\` until both answer, then warms EchoNet up (witness
   provisioning, ${100} events taken to \`attested\`, so every event shard is open).
4. Reference: ${r.config.durationsS.warmup} s warm-up, then autocannon ${r.config.durationsS.reference} s with
   ${r.config.connections} connections, pipelining 1, posting one signed event as the body (same size as
   the EchoNet requests). req/s counts 202 answers. It is measured three times (ref1 before the accept
   phase, ref2 before the sustained phase, ref3 at the end; 1 s warm-up for the later ones); the ratios
   use the mean of the three, the sustained offered rate the mean of ref1 and ref2.
5. Accept: all events are signed before the timed run; autocannon ${r.config.durationsS.accept} s,
   ${r.config.connections} connections, every request body a different event; only 202 counts as accepted.
   Then the harness waits (≤ ${r.config.durationsS.drainCap} s) for the backlog to drain.
6. Sustained: a steady offered load (autocannon \`overallRate\` = ${r.config.sustainedOfferedRatio} × the reference
   req/s, i.e. the attested target plus margin) of distinct pre-signed events for ${r.config.durationsS.sustained} s while
   \`GET /v1/status\` is sampled every second. attested/s = Δ\`events.attested\` / Δt between the first
   and last samples of the window. The backlog "grew" if the mean pending of the last 5 samples exceeds
   that of the first 5 by more than max(50, half a second of offered load). After the load stops the
   harness measures the time until \`events.pending\` reaches 0.
7. Both wrangler processes are killed (process group, SIGTERM then SIGKILL) at the end, on error and
   on SIGINT; the temp state is deleted.

The sustained phase offers a fixed rate, so its attested/s shows whether that rate is carried without
a growing backlog, not how far above it the system could go; set \`BENCH_SUSTAINED_RATIO\` (e.g. 0.5) to
probe higher. The whole-window attested/s includes the first seconds in which the pipeline fills up
(pending rises from 0 to its steady level), so it sits slightly below the offered rate even when the
system keeps up; the steady-state figure leaves those seconds out.

## Caveats

- Locally every Durable Object (16 \`EventShard\`s, 7 \`WitnessNode\`s, the reference DO) and the queue
  consumer share **one workerd process** per \`wrangler dev\`, and the load generator, both workerd
  processes and wrangler itself share the same ${r.machine.cpuCount} CPUs. Shard-count effects therefore do not
  show here: on Cloudflare each DO runs apart, so intake and attestation scale with the shard and witness
  counts, while locally they contend for the same cores. The reference has the same handicap, which is
  why the figures are given as ratios.
- The machine may be shared with other work (the load averages above show how busy it was); the
  reference brackets the EchoNet phases to expose drift, but figures from one run carry that noise.
- Local Queues (miniflare) deliver with \`max_batch_timeout = 1\` s batching; production delivery differs.
- Rate limits were raised for the run (see Method); with the defaults a single client IP is capped at
  2,000 writes / 10 s (200/s) and each author at 100 events / 10 s.
`;
}

main().catch(async (err) => {
  if (interrupted) return; // the signal handler stops the servers and exits
  console.error("[bench] FAILED:", err instanceof Error ? err.stack ?? err.message : err);
  await stopAll();
  process.exit(1);
});
