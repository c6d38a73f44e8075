// Shared machinery of the benchmark scripts (scripts/bench.ts and the per-capability phases):
// wrangler processes on free loopback ports (offline), the derived bench config with raised rate
// limits, signing identities, autocannon wrappers. Importing this starts nothing.
import { spawn, type ChildProcess } from "node:child_process";
import { KeyObject } from "node:crypto";
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import WebSocket from "ws";
import { didKeyFromPublicKey } from "../src/lib/did";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const KEEP = process.env.BENCH_KEEP === "1";
/** Optional override of INBOX_MAX_PENDING (passed as --var; unset = the wrangler.toml default). */
export const INBOX_OVERRIDE = process.env.BENCH_INBOX_MAX_PENDING;
export const RAISED_LIMIT = 1_000_000;
export const READY_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------- process management

const children: { name: string; proc: ChildProcess }[] = [];

export function killAll(signal: NodeJS.Signals = "SIGTERM"): void {
  for (const { proc } of children) {
    if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) continue;
    try {
      process.kill(-proc.pid, signal); // the child's own process group (spawned detached)
    } catch {
      /* already gone */
    }
  }
}

export async function stopAll(): Promise<void> {
  killAll("SIGTERM");
  const deadline = Date.now() + 5000;
  while (children.some(({ proc }) => proc.exitCode === null && proc.signalCode === null) && Date.now() < deadline) {
    await sleep(100);
  }
  killAll("SIGKILL");
}

/** Stops one server (its process group): SIGTERM, then SIGKILL after 5 s. */
export async function stopServer(proc: ChildProcess): Promise<void> {
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const kill = (sig: NodeJS.Signals) => {
    if (proc.pid === undefined || !alive()) return;
    try {
      process.kill(-proc.pid, sig);
    } catch {
      /* already gone */
    }
  };
  kill("SIGTERM");
  const deadline = Date.now() + 5000;
  while (alive() && Date.now() < deadline) await sleep(100);
  kill("SIGKILL");
}

let interrupted = false;
let tmpDir: string | undefined;
/** The temp dir removed on interrupt (unless BENCH_KEEP=1). */
export const setTmpDir = (dir: string) => {
  tmpDir = dir;
};
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
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

export async function startWrangler(name: string, cwd: string, config: string, persistTo: string, logDir: string, extra: string[] = []) {
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
  return { name, proc, port, inspectorPort, base: `http://127.0.0.1:${port}`, log: path.join(logDir, `${name}.log`) };
}

export type Server = Awaited<ReturnType<typeof startWrangler>>;

/**
 * One HTTP exchange, body included, under a hard deadline. `fetch` with only
 * `AbortSignal.timeout` hung twice in the search phase's bulk load (Node 20, undici): the bench
 * sat idle with no pending timer after every post had applied. Here a ref'd timer both aborts the
 * request and rejects, so the caller always gets an answer or an error it can retry.
 */
export async function httpText(url: string, init: RequestInit = {}, ms = 30_000): Promise<{ status: number; ok: boolean; text: string }> {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new Error(`${init.method ?? "GET"} ${url}: no answer in ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([
      (async () => {
        const r = await fetch(url, { ...init, signal: ac.signal });
        return { status: r.status, ok: r.ok, text: await r.text() };
      })(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitReady(s: Server, healthPath: string): Promise<number> {
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
export function deriveEchonetConfig(): { file: string; changes: string[] } {
  const src = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const changes: string[] = [];
  let out = src.replace(/^main\s*=\s*"([^"]+)"/m, (_m, main: string) => {
    const abs = path.resolve(ROOT, main);
    changes.push(`main = "${abs}"`);
    return `main = ${JSON.stringify(abs)}`;
  });
  if (!changes.length) throw new Error("wrangler.toml: no `main` line found");
  // The config moves to .wrangler/bench/: the static assets directory and the [build]
  // command's working directory stay those of the repository.
  out = out.replace(/^(\[assets\][^[]*?^directory\s*=\s*)"([^"]+)"/m, (_m, head: string, dir: string) => head + JSON.stringify(path.resolve(ROOT, dir)));
  out = out.replace(/^\[build\]\s*$/m, (m) => `${m}\ncwd = ${JSON.stringify(ROOT)}`);
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

export interface Author {
  did: string;
  key: KeyObject;
}

export async function makeAuthors(n: number): Promise<Author[]> {
  const out: Author[] = [];
  for (let i = 0; i < n; i++) {
    const kp = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", kp.publicKey));
    out.push({ did: didKeyFromPublicKey(raw), key: KeyObject.from(kp.privateKey) });
  }
  return out;
}


export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const r = await httpText(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  let parsed: unknown = r.text;
  try {
    parsed = JSON.parse(r.text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, body: parsed };
}

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T>(items: T[], n: number, fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) {
        const k = i++;
        await fn(items[k]!, k);
      }
    }),
  );
}

export interface CannonResult {
  durationS: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  statusCounts: Record<string, number>;
  errors: number;
  timeouts: number;
}

/** autocannon with a per-request setup (path, headers, body built lazily for every request). */
export async function cannon(url: string, durationS: number, connections: number, setup: (req: Record<string, unknown>) => Record<string, unknown>): Promise<CannonResult> {
  const result = await autocannon({ url, connections, duration: durationS, pipelining: 1, timeout: 30, requests: [{ method: "GET", setupRequest: setup }] });
  const statusCounts: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = (v as { count: number }).count;
  return { durationS: result.duration, requests: result.requests.total, p50Ms: result.latency.p50, p99Ms: result.latency.p99, statusCounts, errors: result.errors, timeouts: result.timeouts };
}

// ---------------------------------------------------------------- CPU profiles (npm run profile, BENCH_PROFILE_PHASE)

export interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }

/** A Chrome DevTools Protocol session with the first inspector target (the Worker isolate). */
export async function cdp(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  const target = targets[0];
  if (!target) throw new Error("no inspector target");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  let next = 1;
  const waiting = new Map<number, (v: any) => void>();
  ws.on("message", (data) => {
    const m = JSON.parse(String(data));
    if (m.id && waiting.has(m.id)) waiting.get(m.id)!(m.result ?? m.error);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<any>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { call, close: () => ws.close(), title: target.title };
}

/** Self time by source file and by function of a V8 CPU profile. */
export function summarizeProfile(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }) {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const us = self.get(n.id) ?? 0;
    total += us;
    const file = n.callFrame.url.replace(/^.*\/(src|node_modules)\//, "$1/") || "(native)";
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${file}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`).join("\n");
  return `total sampled ${(total / 1000).toFixed(0)} ms\n\n-- by file --\n${top(byFile, 25)}\n\n-- by function --\n${top(byFn, 45)}`;
}

// ---------------------------------------------------------------- process file descriptors (Linux)

/** Every descendant process of `pid` (via /proc; empty elsewhere). */
export function descendantPids(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** CPU seconds (user + system) used so far by `pid` and its descendants (Linux /proc; ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of [pid, ...descendantPids(pid)]) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, "utf8");
      const rest = fields.slice(fields.lastIndexOf(")") + 2).split(" "); // rest[0] is field 3 (state)
      ticks += Number(rest[11]) + Number(rest[12]); // utime (14), stime (15)
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100;
}

/** Open file descriptors of `pid` and its descendants (null when /proc is not readable). */
export function openFds(pid: number): number | null {
  let n = 0;
  try {
    for (const p of [pid, ...descendantPids(pid)]) n += readdirSync(`/proc/${p}/fd`).length;
  } catch {
    return null;
  }
  return n;
}

/**
 * BENCH_PROFILE_PHASE=<label> (e.g. chunkPut): record a V8 CPU profile of the EchoNet isolate
 * while that timed window runs; written to .wrangler/<label>.cpuprofile, summary in the log.
 */
export async function profiled<T>(label: string, srv: Server, run: () => Promise<T>, log: (m: string) => void): Promise<T> {
  if (process.env.BENCH_PROFILE_PHASE !== label) return run();
  const inspector = await cdp(srv.inspectorPort);
  await inspector.call("Profiler.enable");
  await inspector.call("Profiler.setSamplingInterval", { interval: 200 });
  await inspector.call("Profiler.start");
  try {
    return await run();
  } finally {
    const { profile } = await inspector.call("Profiler.stop");
    inspector.close();
    writeFileSync(path.join(ROOT, ".wrangler", `${label}.cpuprofile`), JSON.stringify(profile));
    // The bundle the profile's line numbers refer to (wrangler removes its dev dir on exit).
    const devRoot = path.join(ROOT, ".wrangler", "bench", ".wrangler", "tmp"); // beside the derived config (deriveEchonetConfig)
    const bundles = existsSync(devRoot) ? readdirSync(devRoot).filter((d) => d.startsWith("dev-")).map((d) => path.join(devRoot, d, "index.js")).filter((f) => existsSync(f)) : [];
    if (bundles[0]) copyFileSync(bundles.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!, path.join(ROOT, ".wrangler", `${label}-bundle.js`));
    log(`profile of ${label}: .wrangler/${label}.cpuprofile\n${summarizeProfile(profile)}`);
  }
}
