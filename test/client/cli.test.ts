// The CLI (src/cli/run.ts) against the real Worker, with in-memory files and captured output.
import { describe, expect, it } from "vitest";
import { run, type CliIO } from "../../src/cli/run";
import { parseArgs, UsageError } from "../../src/cli/args";
import { workerFetch, TEST_ADMIN_TOKEN } from "./worker-fetch";
import { freshIp } from "../helpers/client";

function memoryIO(files = new Map<string, { data: Uint8Array | string; mode: number }>()) {
  const out: string[] = [];
  const err: string[] = [];
  const ip = freshIp();
  const io: CliIO = {
    fetch: (input, init) => workerFetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), "cf-connecting-ip": ip } }),
    env: { ECHONET_URL: "http://echonet.test" },
    defaultKeysPath: "/home/me/.echonet/keys.json",
    readText: async (p) => {
      const f = files.get(p);
      return f ? (typeof f.data === "string" ? f.data : new TextDecoder().decode(f.data)) : null;
    },
    fileMode: async (p) => files.get(p)?.mode ?? null,
    writeSecret: async (p, text) => void files.set(p, { data: text, mode: 0o600 }),
    readBytes: async (p) => {
      const f = files.get(p);
      if (!f) throw new Error("ENOENT: no such file");
      return typeof f.data === "string" ? new TextEncoder().encode(f.data) : f.data;
    },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  };
  const cli = async (...argv: string[]) => {
    out.length = 0;
    err.length = 0;
    const code = await run(argv, io);
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  return { io, files, cli };
}

describe("CLI arguments", () => {
  it("parses positionals, values, repeats and switches; rejects unknown options", () => {
    const p = parseArgs(["post", "hi", "--tag", "a", "--tag=b,c", "--json", "--", "--not-a-flag"], new Set(["tag"]), new Set(["json"]));
    expect(p.positionals).toEqual(["post", "hi", "--not-a-flag"]);
    expect(p.flags.get("tag")).toEqual(["a", "b,c"]);
    expect(p.switches.has("json")).toBe(true);
    expect(() => parseArgs(["--nope"], new Set(), new Set())).toThrow(UsageError);
    expect(() => parseArgs(["--tag"], new Set(["tag"]), new Set())).toThrow(/needs a value/);
  });

  it("exits 2 with a clear message for usage errors", async () => {
    const { cli } = memoryIO();
    expect((await cli("frobnicate")).code).toBe(2);
    const r = await cli("post", "hello");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no identity: run echonet keygen/);
    expect((await cli("--help")).out).toMatch(/usage: echonet/);
    expect((await cli("status", "--url", "not a url")).code).toBe(2);
  });
});

describe("CLI against the Worker", () => {
  it("keygen, mint, post, like, transfer, balance, search, status, event, verify", async () => {
    const { cli, files } = memoryIO();
    const k = await cli("keygen", "--name", "alice", "--json");
    expect(k.code).toBe(0);
    const alice = JSON.parse(k.out).did as string;
    expect(files.get("/home/me/.echonet/keys.json")!.mode).toBe(0o600);
    expect((await cli("keygen", "--name", "alice")).code).toBe(2); // exists
    const bob = JSON.parse((await cli("keygen", "--name", "bob", "--json")).out).did as string;
    expect((await cli("whoami")).out).toBe(alice); // the first identity is the default
    expect((await cli("whoami", "--as", "bob")).out).toBe(bob);

    const m = await cli("mint", "10", "--admin-token", TEST_ADMIN_TOKEN);
    expect(m.code).toBe(0);
    expect(m.out).toMatch(/applied/);

    const word = `cliword${crypto.randomUUID().slice(0, 8)}`;
    const p = await cli("post", `a post from the command line ${word}`, "--title", "CLI", "--tag", "cli", "--json");
    expect(p.code).toBe(0);
    const post = JSON.parse(p.out);
    expect(post.status).toBe("applied");

    expect((await cli("like", post.id, "--as", "bob")).code).toBe(0);
    const t = await cli("transfer", bob, "2.5", "--memo", "thanks");
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/transfer of 2\.5 ECHO .* applied/);

    const b = await cli("balance", "--as", "bob", "--json");
    expect(JSON.parse(b.out).balance).toBe("2500000");
    expect((await cli("balance")).out).toMatch(/balance +7\.5 ECHO/);

    const tooMuch = await cli("transfer", alice, "100", "--as", "bob");
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.err).toMatch(/failed: insufficient_balance/);

    const v = await cli("verify", post.id);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^receipt verified/);

    expect((await cli("event", post.id)).out).toMatch(/content\.post/);
    expect((await cli("status", "--json")).code).toBe(0);
    expect((await cli("status", post.id)).out).toMatch(/status applied/);

    let s = await cli("search", word, "--json");
    const deadline = Date.now() + 20_000;
    while (JSON.parse(s.out).results.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      s = await cli("search", word, "--json");
    }
    expect(JSON.parse(s.out).results[0].id).toBe(post.id);
  }, 120_000);

  it("shows problem+json errors with their code and exits 1", async () => {
    const { cli } = memoryIO();
    await cli("keygen");
    const r = await cli("like", "nothex");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/validation_failed \(400\)/);
    expect(r.err).toMatch(/body\.target/);
    const nf = await cli("verify", "0".repeat(64));
    expect(nf.code).toBe(1);
    expect(nf.err).toMatch(/not_found \(404\)/);
    const bad = await cli("transfer", "did:key:z6Mkbogus", "abc");
    expect(bad.code).toBe(2);
  });

  it("refuses a key file readable by others", async () => {
    const { cli, files } = memoryIO();
    await cli("keygen");
    files.get("/home/me/.echonet/keys.json")!.mode = 0o644;
    const r = await cli("whoami");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/chmod 600/);
  });

  it("uploads a file in chunks with progress and posts it", async () => {
    const { cli, files, io } = memoryIO();
    const lines: (string | null)[] = [];
    io.progress = (l) => lines.push(l);
    await cli("keygen");
    const data = new Uint8Array(9000);
    crypto.getRandomValues(data);
    files.set("/tmp/photo.bin", { data, mode: 0o644 });
    const r = await cli("upload", "/tmp/photo.bin", "--chunk-size", "4096", "--post", "my photo", "--json");
    expect(r.code).toBe(0);
    expect(lines.filter((l) => l !== null).at(-1)).toMatch(/100% .* 3\/3 chunks/);
    expect(lines.at(-1)).toBeNull();
    const [upload, post] = r.out.split(/\n(?=\{)/).map((x) => JSON.parse(x));
    expect(upload.chunks).toHaveLength(3);
    expect(post.status).toBe("applied");
    expect((await cli("upload", "/tmp/missing.bin")).code).toBe(2);
  });

  it("campaign create reports a clean error where the ad marketplace is not deployed, or succeeds where it is", async () => {
    const { cli } = memoryIO();
    await cli("keygen");
    await cli("mint", "100", "--admin-token", TEST_ADMIN_TOKEN);
    const r = await cli("campaign", "create", "--name", "Shoes", "--budget", "10", "--bid", "2", "--title", "Shoes", "--text", "Good shoes", "--link", "https://example.com/shoes", "--keyword", "shoes,running");
    // campaign.create is a valid event kind: it reaches a final status either way.
    expect([0, 1]).toContain(r.code);
    expect(r.out + r.err).toMatch(/campaign [0-9a-f]{64} (applied|failed|rejected)/);
    expect((await cli("campaign", "create", "--name", "x")).code).toBe(2);
  });
});
