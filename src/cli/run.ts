// The `echonet` command line: every command goes through the client SDK. This module has no
// Node-only imports (files, terminal and fetch come in through CliIO), so it is tested inside
// workerd against the real Worker; src/cli/node.ts wires it to Node.
import { EchoNetClient, EchoNetError, DEFAULT_URL, type FetchLike, type Submitted } from "../client";
import { exportIdentity, generateIdentity, importIdentity, type ExportedIdentity, type Identity } from "../client/identity";
import { echoToUnits, unitsToEcho } from "../client/units";
import type { CampaignCreateBody, EventRecord } from "../client/types";
import { flag, flagList, parseArgs, UsageError, type ParsedArgs } from "./args";

export interface CliIO {
  fetch?: FetchLike;
  env: Record<string, string | undefined>;
  /** Default key file (e.g. ~/.echonet/keys.json). */
  defaultKeysPath: string;
  /** The file's text, or null when it does not exist. */
  readText(path: string): Promise<string | null>;
  /** Permission bits of a file (e.g. 0o600), or null when it does not exist. */
  fileMode(path: string): Promise<number | null>;
  /** Writes a secret file with mode 0600 (its directory 0700), atomically. */
  writeSecret(path: string, text: string): Promise<void>;
  readBytes(path: string): Promise<Uint8Array>;
  out(line: string): void;
  err(line: string): void;
  /** Redraws a one-line progress display (a TTY); absent when output is not a terminal. */
  progress?(line: string | null): void;
}

interface KeyFile {
  version: 1;
  default: string;
  identities: Record<string, ExportedIdentity>;
}

const VALUE_FLAGS = new Set([
  "url", "keys", "as", "admin-token", "timeout", "name", "title", "tag", "lang", "chunk", "memo", "to", "limit", "author",
  "budget", "bid", "model", "daily-budget", "text", "link", "keyword", "frequency-cap", "ends-at", "post", "chunk-size",
]);
const SWITCHES = new Set(["json", "no-wait", "force", "units", "help", "version"]);

export const USAGE = `echonet — command line for an EchoNet deployment

usage: echonet <command> [arguments] [options]

identity
  keygen [--name N] [--force]        create a key pair (did:key) in the key file (mode 0600)
  whoami                             the did of the current identity
events (signed by your key; wait for a final status unless --no-wait)
  post <text> [--title T] [--tag t]… [--lang L] [--chunk cid]…
  like <contentId>
  comment <contentId> <text>
  transfer <did> <amount> [--memo M]  amount in ECHO (e.g. 1.5); --units for base units
  campaign create --name N --budget B --bid B [--model cpm|cpc] --title T --text T --link URL
                  [--keyword k]… [--tag t]… [--lang L]… [--daily-budget B] [--frequency-cap N] [--ends-at ISO]
  campaign show <campaignId>
reads
  balance [did]                      balance, escrow and reputation (default: yours)
  search <query> [--limit N] [--tag t] [--author did]
  status [eventId]                   network status (heights, events by status, inbox), or an event's
  event <eventId>                    an event and its status
  verify <eventId>                   verify the event's receipt against the witness list
storage
  upload <file> [--post <text>]      store a file as chunks (progress bar); optionally post it
admin
  mint <amount> [--to did]           mint ECHO (needs --admin-token or ECHONET_ADMIN_TOKEN)

options
  --url URL          deployment (default ${DEFAULT_URL}, or ECHONET_URL)
  --keys FILE        key file (default ~/.echonet/keys.json, or ECHONET_KEYS)
  --as NAME          identity in the key file (default: the first one created)
  --timeout MS       how long to wait for a final status (default 30000)
  --json             machine-readable output
  --no-wait          return once the event is accepted (pending)

exit codes: 0 ok · 1 the API refused (problem+json code shown) or the event failed/was rejected · 2 usage`;

class Cli {
  readonly client: EchoNetClient;
  readonly json: boolean;
  constructor(
    readonly io: CliIO,
    readonly args: ParsedArgs,
    readonly url: string,
    readonly keysPath: string,
    identity: Identity | undefined,
  ) {
    const adminToken = flag(args, "admin-token") ?? io.env.ECHONET_ADMIN_TOKEN;
    this.client = new EchoNetClient({ url, fetch: io.fetch, identity, adminToken });
    this.json = args.switches.has("json");
  }

  print(human: string, data: unknown): void {
    this.io.out(this.json ? JSON.stringify(data, null, 2) : human);
  }

  pos(i: number, what: string): string {
    const v = this.args.positionals[i];
    if (v === undefined || v === "") throw new UsageError(`missing ${what}`);
    return v;
  }

  int(name: string): number | undefined {
    const v = flag(this.args, name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a non-negative integer`);
    return Number(v);
  }

  amount(text: string, what: string): string {
    if (this.args.switches.has("units")) {
      if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`${what} must be a positive integer number of base units`);
      return text;
    }
    try {
      const u = echoToUnits(text);
      if (u === "0") throw new TypeError("zero");
      return u;
    } catch {
      throw new UsageError(`${what} must be a positive ECHO amount such as 1.5 (at most 6 decimals), or base units with --units`);
    }
  }

  /** Reports a submission and, unless --no-wait, waits for its final status. */
  async finish(s: Submitted, what: string): Promise<number> {
    if (this.args.switches.has("no-wait")) {
      this.print(`${what} ${s.id} ${s.status}\n  ${this.client.explorerLink("event", s.id)}`, { id: s.id, status: s.status });
      return 0;
    }
    const rec = await s.wait({ timeoutMs: this.int("timeout") ?? 30_000 });
    return this.reportFinal(rec, what);
  }

  reportFinal(rec: EventRecord, what: string): number {
    const ok = rec.status === "applied";
    const block = rec.receipt?.block;
    this.print(
      `${what} ${rec.id} ${rec.status}${rec.reason ? ` (${rec.reason})` : ""}${block !== undefined ? ` in block ${block}` : ""}\n  ${this.client.explorerLink("event", rec.id)}`,
      { id: rec.id, status: rec.status, reason: rec.reason, block },
    );
    if (!ok) this.io.err(`error: event ${rec.status}${rec.reason ? `: ${rec.reason}` : ""}`);
    return ok ? 0 : 1;
  }
}

async function loadKeys(io: CliIO, path: string): Promise<KeyFile | null> {
  const text = await io.readText(path);
  if (text === null) return null;
  const mode = await io.fileMode(path);
  if (mode !== null && (mode & 0o077) !== 0) {
    throw new UsageError(`key file ${path} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
  }
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(text) as KeyFile;
  } catch {
    throw new UsageError(`key file ${path} is not JSON`);
  }
  if (parsed?.version !== 1 || typeof parsed.identities !== "object") throw new UsageError(`key file ${path} is not an echonet key file`);
  return parsed;
}

async function pickIdentity(io: CliIO, path: string, name: string | undefined): Promise<Identity | undefined> {
  const keys = await loadKeys(io, path);
  if (!keys) {
    if (name) throw new UsageError(`no key file at ${path}; run: echonet keygen --name ${name}`);
    return undefined;
  }
  const n = name ?? keys.default;
  const x = keys.identities[n];
  if (!x) throw new UsageError(`no identity "${n}" in ${path} (have: ${Object.keys(keys.identities).join(", ") || "none"})`);
  return importIdentity(x);
}

const needIdentity = (cli: Cli): Identity => {
  if (!cli.client.identity) throw new UsageError(`no identity: run echonet keygen first (key file ${cli.keysPath})`);
  return cli.client.identity;
};

function bar(done: number, total: number, chunks: string): string {
  const width = 30;
  const f = total === 0 ? 1 : done / total;
  const n = Math.round(f * width);
  const mib = (b: number) => (b / 1_048_576).toFixed(2);
  return `[${"#".repeat(n)}${".".repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}% ${mib(done)}/${mib(total)} MiB ${chunks}`;
}

type Command = (cli: Cli) => Promise<number>;

const commands: Record<string, Command> = {
  async keygen(cli) {
    const name = flag(cli.args, "name") ?? flag(cli.args, "as") ?? "default";
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new UsageError("--name must be 1-64 characters of [A-Za-z0-9_.-]");
    const keys: KeyFile = (await loadKeys(cli.io, cli.keysPath)) ?? { version: 1, default: name, identities: {} };
    if (keys.identities[name] && !cli.args.switches.has("force")) {
      throw new UsageError(`identity "${name}" already exists in ${cli.keysPath} (${keys.identities[name]!.did}); use --force to replace it`);
    }
    const id = await generateIdentity();
    keys.identities[name] = await exportIdentity(id);
    await cli.io.writeSecret(cli.keysPath, JSON.stringify(keys, null, 2) + "\n");
    cli.print(`created identity "${name}": ${id.did}\n  key file ${cli.keysPath} (mode 600)`, { name, did: id.did, keys: cli.keysPath });
    return 0;
  },

  async whoami(cli) {
    const id = needIdentity(cli);
    cli.print(id.did, { did: id.did });
    return 0;
  },

  async post(cli) {
    needIdentity(cli);
    const text = cli.args.positionals.join(" ").trim();
    if (!text) throw new UsageError("missing text: echonet post <text>");
    const body: Record<string, unknown> = { text };
    const title = flag(cli.args, "title");
    if (title) body.title = title;
    const tags = flagList(cli.args, "tag");
    if (tags.length) body.tags = tags;
    const lang = flag(cli.args, "lang");
    if (lang) body.lang = lang;
    const chunks = flagList(cli.args, "chunk");
    if (chunks.length) body.chunks = chunks;
    return cli.finish(await cli.client.post(body as { text: string }), "post");
  },

  async like(cli) {
    needIdentity(cli);
    return cli.finish(await cli.client.like(cli.pos(0, "content id")), "like");
  },

  async comment(cli) {
    needIdentity(cli);
    const target = cli.pos(0, "content id");
    const text = cli.args.positionals.slice(1).join(" ").trim();
    if (!text) throw new UsageError("missing text: echonet comment <contentId> <text>");
    return cli.finish(await cli.client.comment(target, text), "comment");
  },

  async transfer(cli) {
    needIdentity(cli);
    const to = cli.pos(0, "recipient did");
    const amount = cli.amount(cli.pos(1, "amount"), "amount");
    return cli.finish(await cli.client.transfer(to, amount, flag(cli.args, "memo")), `transfer of ${unitsToEcho(amount)} ECHO`);
  },

  async balance(cli) {
    const did = cli.args.positionals[0] ?? needIdentity(cli).did;
    const a = await cli.client.account(did);
    cli.print(
      `${a.did}\n  balance    ${unitsToEcho(a.balance)} ECHO (${a.balance} units)\n  escrowed   ${unitsToEcho(a.escrowed)} ECHO\n  reputation ${a.reputation}\n  at height  ${a.height}`,
      a,
    );
    return 0;
  },

  async mint(cli) {
    const amount = cli.amount(cli.pos(0, "amount"), "amount");
    const to = flag(cli.args, "to") ?? needIdentity(cli).did;
    const r = await cli.client.admin.mint(to, amount);
    if (cli.args.switches.has("no-wait")) {
      cli.print(`mint ${r.id} ${r.status}`, r);
      return 0;
    }
    return cli.reportFinal(await cli.client.waitFor(r.id, { timeoutMs: cli.int("timeout") ?? 30_000 }), `mint of ${unitsToEcho(amount)} ECHO to ${to}`);
  },

  async upload(cli) {
    needIdentity(cli);
    const path = cli.pos(0, "file");
    let bytes: Uint8Array;
    try {
      bytes = await cli.io.readBytes(path);
    } catch (e) {
      throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (bytes.length === 0) throw new UsageError(`${path} is empty`);
    const chunkSize = cli.int("chunk-size");
    const draw = cli.io.progress ?? ((line: string | null) => line !== null && line.includes("100%") && cli.io.err(line));
    const up = await cli.client.upload(bytes, {
      chunkSize,
      onProgress: (p) => draw(bar(p.uploadedBytes, p.totalBytes, `${p.chunksDone}/${p.chunks} chunks`)),
    });
    draw(null);
    const cids = up.chunks.map((c) => c.cid);
    cli.print(
      `uploaded ${path}: ${up.size} bytes in ${cids.length} chunk(s), ${up.chunks[0]!.replicas.length} replicas each\n${cids.map((c) => `  ${c}`).join("\n")}`,
      { size: up.size, chunks: up.chunks },
    );
    const postText = flag(cli.args, "post");
    if (postText !== undefined) {
      if (cids.length > 64) throw new UsageError("a post references at most 64 chunks");
      return cli.finish(await cli.client.post({ text: postText, chunks: cids }), "post");
    }
    return 0;
  },

  async campaign(cli) {
    const sub = cli.pos(0, "campaign subcommand (create | show)");
    if (sub === "show") {
      cli.args.positionals.shift();
      const c = await cli.client.campaign(cli.pos(0, "campaign id"));
      cli.print(
        `${c.id} ${c.status}\n  advertiser ${c.advertiser}\n  bid ${c.bid.model} ${unitsToEcho(c.bid.amount)} ECHO\n  budget ${unitsToEcho(c.budget)} ECHO, spent ${unitsToEcho(c.spent)}, remaining ${unitsToEcho(c.remaining)}\n  impressions ${c.impressions}, clicks ${c.clicks}`,
        c,
      );
      return 0;
    }
    if (sub !== "create") throw new UsageError(`unknown campaign subcommand ${sub} (create | show)`);
    needIdentity(cli);
    const req = (name: string) => {
      const v = flag(cli.args, name);
      if (!v) throw new UsageError(`campaign create needs --${name}`);
      return v;
    };
    const model = flag(cli.args, "model") ?? "cpm";
    if (model !== "cpm" && model !== "cpc") throw new UsageError("--model is cpm or cpc");
    const body: CampaignCreateBody = {
      name: req("name"),
      bid: { model, amount: cli.amount(req("bid"), "--bid") },
      budget: cli.amount(req("budget"), "--budget"),
      targeting: {},
      creative: { title: req("title"), text: req("text"), url: req("link") },
    };
    const keywords = flagList(cli.args, "keyword");
    const tags = flagList(cli.args, "tag");
    const langs = flagList(cli.args, "lang");
    if (keywords.length) body.targeting.keywords = keywords;
    if (tags.length) body.targeting.tags = tags;
    if (langs.length) body.targeting.langs = langs;
    const daily = flag(cli.args, "daily-budget");
    if (daily) body.dailyBudget = cli.amount(daily, "--daily-budget");
    const cap = cli.int("frequency-cap");
    if (cap !== undefined) body.frequencyCap = cap;
    const endsAt = flag(cli.args, "ends-at");
    if (endsAt) body.endsAt = endsAt;
    return cli.finish(await cli.client.createCampaign(body), "campaign");
  },

  async search(cli) {
    const q = cli.args.positionals.join(" ").trim();
    if (!q) throw new UsageError("missing query: echonet search <words>");
    const r = await cli.client.search(q, { limit: cli.int("limit"), tag: flag(cli.args, "tag"), author: flag(cli.args, "author") });
    const lines = r.results.map((x, i) => `${i + 1}. ${x.title || "(untitled)"}  [${x.score.toPrecision(3)}]\n   ${x.snippet}\n   ${x.id} by ${x.author}`);
    cli.print(lines.length ? lines.join("\n") : `no results for ${JSON.stringify(q)}`, r);
    return 0;
  },

  async status(cli) {
    if (cli.args.positionals[0]) return commands.event!(cli);
    const s = await cli.client.status();
    const ev = Object.entries(s.events).map(([k, n]) => `${k} ${n}`).join(", ");
    cli.print(
      `${cli.url}\n  settled height ${s.settledHeight}, latest ${s.latestHeight}\n  events: ${ev}\n  inbox ${s.inbox.pending}/${s.inbox.max}\n  time ${s.time}`,
      s,
    );
    return 0;
  },

  async event(cli) {
    const rec = await cli.client.event(cli.pos(0, "event id"));
    cli.print(
      `${rec.id} ${rec.event.kind} by ${rec.event.author}\n  status ${rec.status}${rec.reason ? ` (${rec.reason})` : ""}${rec.receipt?.block !== undefined ? `, block ${rec.receipt.block}` : ""}\n  ${JSON.stringify(rec.event.body)}`,
      rec,
    );
    return 0;
  },

  async verify(cli) {
    const v = await cli.client.verifyReceipt(cli.pos(0, "event id"));
    const r = v.record.receipt;
    const accepts = r?.attestations.filter((a) => a.verdict === "accept").length ?? 0;
    if (v.ok) {
      cli.print(
        `receipt verified: ${v.record.id}\n  status ${v.record.status}, committee ${r!.committee.length}, quorum ${r!.quorum}, accepts ${accepts}${r!.block !== undefined ? `, block ${r!.block}` : ""}`,
        { ok: true, id: v.record.id, status: v.record.status, committee: r!.committee, quorum: r!.quorum, accepts, block: r!.block },
      );
      return 0;
    }
    cli.print(`receipt NOT verified: ${v.record.id}\n${v.errors.map((e) => `  - ${e}`).join("\n")}`, { ok: false, id: v.record.id, errors: v.errors });
    return 1;
  },
};

/** Runs one command line; returns the exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, VALUE_FLAGS, SWITCHES);
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n\nrun: echonet --help`);
    return 2;
  }
  const name = args.positionals.shift();
  if (!name || args.switches.has("help") || name === "help") {
    (name || args.switches.has("help") ? io.out : io.err)(USAGE);
    return name || args.switches.has("help") ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`error: unknown command ${name}\n\nrun: echonet --help`);
    return 2;
  }
  const url = flag(args, "url") ?? io.env.ECHONET_URL ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    io.err(`error: --url ${url} is not a URL`);
    return 2;
  }
  const keysPath = flag(args, "keys") ?? io.env.ECHONET_KEYS ?? io.defaultKeysPath;
  try {
    const identity = name === "keygen" ? undefined : await pickIdentity(io, keysPath, flag(args, "as"));
    return await command(new Cli(io, args, url, keysPath, identity));
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof EchoNetError) {
      io.err(`error: ${e.describe()}`);
      if (e.code === "network_error") io.err(`  is an EchoNet node running at ${url}? (npm start, or --url)`);
      return 1;
    }
    io.err(`error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
