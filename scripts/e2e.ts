// End-to-end: the explorer, the API reference and the CLI against `wrangler dev`, in headless
// Chromium. Run by `npm test` after the workerd suite (and alone with `npm run test:e2e`).
//   1. makes sure a Chromium is installed (Debian's `chromium`, with apt-get when missing — never
//      a browser download), 2. starts `wrangler dev` on a free port with fresh state (wrangler's
//      [build] builds the assets), 3. drives the CLI as a process (keygen, post, verify, upload,
//      mint, balance, a bad input) and runs the demo, 4. opens the
//      explorer and checks what a person sees: the network status, the latest blocks, the event
//      with "receipt verified" (checked in the browser), a search result; and /docs.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Page } from "playwright-core";
import { ROOT, startWrangler, stopAll, waitReady } from "./bench-lib";
import { EchoNetClient } from "../src/client";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const STEP_TIMEOUT_MS = 20_000;
const t0 = Date.now();
const log = (msg: string) => console.log(`e2e [${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM} is missing; install it with: sudo apt-get install -y chromium`);
  log(`${CHROMIUM} is missing: installing Debian's chromium with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], { stdio: "inherit", env });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
}

/**
 * A child process, asynchronously: this process keeps draining wrangler's piped output while
 * the child runs (a blocking spawnSync let that pipe fill, which stalled wrangler itself).
 */
function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === "SIGTERM" ? 143 : -1), out, err });
    });
  });
}

const cli = (base: string, keys: string, ...args: string[]) =>
  run(process.execPath, [path.join(ROOT, "bin", "echonet.mjs"), "--url", base, "--keys", keys, ...args], 60_000);

function expect(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`e2e: ${what}`);
}

async function textOf(page: Page, selector: string, want: RegExp): Promise<string> {
  const loc = page.locator(selector).first();
  await loc.waitFor({ timeout: STEP_TIMEOUT_MS });
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const t = await loc.innerText();
    if (want.test(t)) return t;
    if (Date.now() > deadline) throw new Error(`e2e: ${selector} never showed ${want}; it shows: ${t.slice(0, 300)}`);
    await page.waitForTimeout(100);
  }
}

async function main(): Promise<void> {
  ensureChromium();
  const tmp = mkdtempSync(path.join(tmpdir(), "echonet-e2e-"));
  const adminToken = `e2e-${Math.random().toString(36).slice(2)}`;
  const server = await startWrangler("e2e", ROOT, path.join(ROOT, "wrangler.toml"), path.join(tmp, "state"), tmp, ["--var", `ADMIN_TOKEN:${adminToken}`]);
  let browser: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    log(`wrangler dev on ${server.base} (log ${server.log})`);
    log(`ready in ${await waitReady(server, "/v1/health")} ms`);

    // The CLI, as a person would use it.
    const keys = path.join(tmp, "home", ".echonet", "keys.json");
    const k = await cli(server.base, keys, "keygen", "--name", "e2e");
    expect(k.code === 0, `keygen failed: ${k.err}`);
    expect((statSync(keys).mode & 0o777) === 0o600, "the key file is not mode 0600");
    const word = `explorer${Date.now().toString(36)}`;
    const p = await cli(server.base, keys, "post", `Hello from the end-to-end test ${word}`, "--title", `E2E ${word}`, "--tag", "e2e", "--json");
    expect(p.code === 0, `post failed (${p.code}): ${p.err}`);
    const post = JSON.parse(p.out) as { id: string; status: string; block: number };
    expect(post.status === "applied", `post ended ${post.status}`);
    log(`posted ${post.id} (applied in block ${post.block})`);
    const v = await cli(server.base, keys, "verify", post.id);
    expect(v.code === 0 && /^receipt verified/.test(v.out), `verify failed: ${v.out}${v.err}`);
    const file = path.join(tmp, "photo.bin");
    writeFileSync(file, randomBytes(2_500_000));
    const up = await cli(server.base, keys, "upload", file, "--json");
    expect(up.code === 0, `upload failed: ${up.err}`);
    const uploaded = JSON.parse(up.out) as { size: number; chunks: { cid: string }[] };
    expect(uploaded.size === 2_500_000 && uploaded.chunks.length === 3, `upload stored ${uploaded.chunks.length} chunks`);
    expect(/100% .*3\/3 chunks/.test(up.err), `upload showed no progress: ${up.err}`);
    const m = await cli(server.base, keys, "mint", "12.5", "--admin-token", adminToken);
    expect(m.code === 0, `mint failed: ${m.err}`);
    const bal = await cli(server.base, keys, "balance", "--json");
    expect(bal.code === 0 && JSON.parse(bal.out).balance === "12500000", `balance: ${bal.out}${bal.err}`);
    log("CLI: keygen (0600), post, verify, upload (3 chunks), mint, balance");
    const bad = await cli(server.base, keys, "like", "nothex");
    expect(bad.code === 1 && /validation_failed \(400\)/.test(bad.err), `bad input did not give a clear error: ${bad.err}`);

    // The post is indexed (the index-updates queue) before the browser looks for it.
    const sdk = new EchoNetClient({ url: server.base });
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while ((await sdk.search(word)).results.length === 0) {
      expect(Date.now() < deadline, "the post never became searchable");
      await new Promise((r) => setTimeout(r, 100));
    }

    // The demo tells its story against the same network (DHT/ads/PoE steps skip cleanly where absent).
    const d = await run(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "demo.ts"), "--url", server.base, "--admin-token", adminToken], 180_000);
    const demo = { status: d.code, stdout: d.out, stderr: d.err };
    expect(demo.status === 0, `npm run demo failed (${demo.status}): ${demo.stdout.slice(-1500)}${demo.stderr.slice(-1500)}`);
    expect(/receipt of the photo post verified/.test(demo.stdout) && /transfer 2\.5 ECHO alice → bob applied/.test(demo.stdout), `the demo's story is incomplete:\n${demo.stdout}`);
    // What the demo took, and any read it had to try again (the SDK's retries), for the record.
    const took = /the story took .*/.exec(demo.stdout)?.[0] ?? "no timing line";
    const retries = demo.stdout.split("\n").filter((l) => /tried again after/.test(l));
    log(`demo: the whole story ran; ${took}${retries.length ? `; retried: ${retries.map((l) => l.trim()).join(" | ")}` : ""}`);

    browser = await chromium.launchPersistentContext(path.join(tmp, "chromium-profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("requestfailed", (r) => pageErrors.push(`request failed: ${r.url()}`));

    await page.goto(server.base + "/", { waitUntil: "load" });
    await textOf(page, "#status .body", /settled height\s*\d+/);
    const blocks = await textOf(page, "#blocks .body", new RegExp(`\\b${post.block}\\b`));
    expect(/height/.test(blocks), "no blocks table");
    await textOf(page, "#storage .body", /node-0/);
    // Capabilities not on this deployment yet say so; present ones show their data.
    const na = "not available on this deployment";
    await textOf(page, "#dht .body", new RegExp(`${na}|hosted nodes`));
    await textOf(page, "#campaigns .body", new RegExp(`${na}|campaigns|advertiser`));
    await textOf(page, "#epoch .body", new RegExp(`${na}|epoch`));
    log("explorer home: status, blocks, storage nodes");

    await page.goto(`${server.base}/#/event/${post.id}`);
    const receipt = await textOf(page, "#receipt-check", /receipt verified|NOT verified|could not/);
    expect(/✓ receipt verified/.test(receipt), `receipt check shows: ${receipt}`);
    await textOf(page, "#event-status", /applied/);
    log("event page: receipt verified in the browser");

    await page.fill("#q", word);
    await page.press("#q", "Enter");
    const results = await textOf(page, "#search-results", new RegExp(`E2E ${word}`));
    expect(results.includes("score"), "search results lack scores");
    await page.click(`#search-results a[href="#/content/${post.id}"]`);
    await textOf(page, "#detail .body", new RegExp(`Hello from the end-to-end test ${word}`));
    log("search box: the post is found and opens");

    await page.goto(server.base + "/docs", { waitUntil: "load" });
    await page.locator(".swagger-ui .opblock").first().waitFor({ timeout: STEP_TIMEOUT_MS });
    const ops = await page.locator(".swagger-ui .opblock").count();
    expect(ops >= 20, `the API reference shows ${ops} operations`);
    await textOf(page, ".swagger-ui", /\/v1\/events/);
    log(`API reference: ${ops} operations rendered by Swagger UI`);

    expect(pageErrors.length === 0, `browser errors: ${pageErrors.join("; ")}`);
    log("passed");
  } catch (e) {
    if (browser?.pages()[0]) {
      const shot = path.join(tmp, "failure.png");
      await browser.pages()[0]!.screenshot({ path: shot, fullPage: true }).catch(() => {});
      console.error(`e2e: screenshot ${shot}`);
    }
    // CI keeps no files: the end of wrangler's log goes into the output with the failure.
    const tail = (existsSync(server.log) ? readFileSync(server.log, "utf8") : "").split("\n").slice(-60).join("\n");
    console.error(`e2e: the last lines of the wrangler log ${server.log}:\n${tail}`);
    throw e;
  } finally {
    await browser?.close().catch(() => {});
    await stopAll();
    if (process.exitCode === undefined || process.exitCode === 0) rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
    void stopAll().finally(() => process.exit(1));
  },
);
