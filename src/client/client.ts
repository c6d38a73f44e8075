// EchoNetClient: typed calls for every public endpoint of an EchoNet deployment, event signing
// and submission, waiting for a final status with a deadline, offline receipt verification,
// chunk upload with request auth. Browser- and Node-compatible: WebCrypto, fetch, TextEncoder
// only; `fetch` is injectable (tests drive a Worker's fetch handler directly).
import { eventIdOf, signEvent } from "../lib/events";
import { verifyReceipt as verifyReceiptWith, type ReceiptCheck } from "../lib/committee";
import { requestAuthHeader } from "../lib/request-auth";
import { cidForBytes } from "../lib/cid";
import { fromBase64, toBase64Url } from "../lib/encoding";
import { leafCountFor, verifyProof } from "../lib/merkle";
import { EchoNetError, errorFromResponse } from "./errors";
import type { Identity } from "./identity";
import type * as T from "./types";
import { FINAL_STATUSES } from "./types";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Base URL of the deployment, e.g. http://127.0.0.1:8787 (default: that). */
  url?: string;
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: FetchLike;
  /** The identity that signs events and requests. */
  identity?: Identity;
  /** Bearer token for /v1/admin/* calls. */
  adminToken?: string;
  /** Headers added to every request. */
  headers?: Record<string, string>;
  /**
   * Deadline of one request in ms, reading the answer's body included (default 30,000; 0: none).
   * A request past it is aborted and fails with code `timeout`.
   */
  timeoutMs?: number;
  /** How many times a GET or HEAD is tried again after a `timeout` or `network_error` (default 2). */
  retries?: number;
  /** Called before each such retry, with the error that caused it. */
  onRetry?: (retry: RetryInfo) => void;
}

/** A request the client is about to try again: which one, after which attempt, and why. */
export interface RetryInfo {
  method: string;
  path: string;
  attempt: number;
  error: EchoNetError;
}

export interface WaitOptions {
  /** Statuses that end the wait (default: applied, failed, rejected). */
  until?: readonly T.EventStatus[];
  /** Deadline in ms (default 30,000). */
  timeoutMs?: number;
  /** Called with every status seen, once per change. */
  onStatus?: (status: T.EventStatus) => void;
}

/** What a submission returns: the id, the status at intake, and a way to wait for more. */
export interface Submitted extends T.EventAccepted {
  event: T.SignedEvent;
  wait(opts?: WaitOptions): Promise<T.EventRecord>;
}

export interface ReceiptVerification extends ReceiptCheck {
  record: T.EventRecord;
}

export interface UploadProgress {
  uploadedBytes: number;
  totalBytes: number;
  chunksDone: number;
  chunks: number;
}

export const DEFAULT_URL = "http://127.0.0.1:8787";
export const CHUNK_MAX_BYTES = 1_048_576;

type Json = Record<string, unknown>;
interface RequestOpts {
  json?: unknown;
  raw?: Uint8Array;
  headers?: Record<string, string>;
  admin?: boolean;
  /** Sign the request with the identity (DESIGN §3 request auth). */
  signed?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function randomNonce(): string {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return toBase64Url(b);
}

function qs(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

const seg = (s: string | number) => encodeURIComponent(String(s));

export class EchoNetClient {
  readonly url: string;
  readonly identity: Identity | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly adminToken: string | undefined;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly onRetry: ((retry: RetryInfo) => void) | undefined;

  constructor(opts: ClientOptions = {}) {
    this.url = (opts.url ?? DEFAULT_URL).replace(/\/+$/, "");
    this.fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.identity = opts.identity;
    this.adminToken = opts.adminToken;
    this.headers = { ...opts.headers };
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 2;
    this.onRetry = opts.onRetry;
  }

  /** The same deployment, acting as another identity. */
  as(identity: Identity): EchoNetClient {
    return new EchoNetClient({ url: this.url, fetch: this.fetchImpl, identity, adminToken: this.adminToken, headers: this.headers, timeoutMs: this.timeoutMs, retries: this.retries, onRetry: this.onRetry });
  }

  /** A link into this deployment's explorer. */
  explorerLink(kind: "event" | "block" | "account" | "content" | "search", value: string | number): string {
    return `${this.url}/#/${kind}/${encodeURIComponent(String(value)).replace(/%3A/g, ":")}`;
  }

  // ---- transport ----

  /**
   * Any request; throws EchoNetError for a non-2xx answer. Returns the Response once its headers
   * arrive (the deadline does not cover reading its body).
   */
  raw(method: string, path: string, opts: RequestOpts = {}): Promise<Response> {
    return this.exchange(method, path, opts, async (res) => res);
  }

  /** A JSON request; throws EchoNetError for a non-2xx answer. 204 resolves to null. */
  request<R>(method: string, path: string, opts: RequestOpts = {}): Promise<R> {
    return this.exchange(method, path, opts, async (res) => {
      if (res.status === 204) return null as R;
      const text = await res.text();
      try {
        return JSON.parse(text) as R;
      } catch {
        throw new EchoNetError("bad_response", `${method} ${path}: expected JSON, got ${text.slice(0, 120)}`, res.status);
      }
    });
  }

  /** One request under the deadline; a GET or HEAD that timed out or failed in transit is tried again. */
  private async exchange<R>(method: string, path: string, opts: RequestOpts, read: (res: Response) => Promise<R>): Promise<R> {
    const tries = method === "GET" || method === "HEAD" ? this.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, path, opts, read);
      } catch (e) {
        const transient = e instanceof EchoNetError && (e.code === "timeout" || e.code === "network_error");
        if (!transient || attempt >= tries) throw e;
        this.onRetry?.({ method, path, attempt, error: e as EchoNetError });
        await sleep(100 * attempt);
      }
    }
  }

  private async once<R>(method: string, path: string, opts: RequestOpts, read: (res: Response) => Promise<R>): Promise<R> {
    const headers: Record<string, string> = { ...this.headers, ...opts.headers };
    let body: Uint8Array | string | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] = "application/json";
    } else if (opts.raw !== undefined) {
      body = opts.raw;
      headers["content-type"] ??= "application/octet-stream";
    }
    if (opts.admin) {
      if (!this.adminToken) throw new EchoNetError("unauthorized", "this call needs an admin token (adminToken option)");
      headers.authorization = `Bearer ${this.adminToken}`;
    }
    if (opts.signed) {
      const id = this.requireIdentity();
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : (body ?? new Uint8Array());
      headers.authorization = await requestAuthHeader(id.did, id.privateKey, method, path, bytes);
    }
    // The deadline is a timer of its own that both aborts and rejects: an abort signal alone
    // did not end every stalled exchange (a fetch whose socket went quiet can ignore it).
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      if (this.timeoutMs > 0)
        timer = setTimeout(() => {
          ac.abort();
          reject(new EchoNetError("timeout", `${method} ${this.url}${path}: no answer in ${this.timeoutMs} ms`, 0, { method, path }));
        }, this.timeoutMs);
    });
    const exchange = (async () => {
      let res: Response;
      try {
        res = await this.fetchImpl(this.url + path, { method, headers, body: body as BodyInit | undefined, signal: ac.signal });
      } catch (e) {
        throw new EchoNetError("network_error", `${method} ${this.url}${path}: ${e instanceof Error ? e.message : String(e)}`, 0, { method, path });
      }
      if (!res.ok && res.status !== 304) throw await errorFromResponse(res, method, path);
      return read(res);
    })();
    try {
      return await Promise.race([exchange, deadline]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      exchange.catch(() => {}); // settles after the deadline won: nothing waits for it
    }
  }

  private get<R>(path: string): Promise<R> {
    return this.request<R>("GET", path);
  }

  private requireIdentity(): Identity {
    if (!this.identity) throw new EchoNetError("no_identity", "this call signs with an identity: create the client with { identity }");
    return this.identity;
  }

  // ---- network ----

  health = () => this.get<T.Health>("/v1/health");
  status = () => this.get<T.NetworkStatus>("/v1/status");
  witnesses = () => this.get<T.WitnessList>("/v1/witnesses");
  openapi = () => this.get<Json>("/openapi.json");

  // ---- events ----

  /** Signs an event as the client's identity (nothing is sent). */
  async sign<K extends T.EventKind>(kind: K, body: T.BodyOf<K>, opts: { nonce?: string; createdAt?: string } = {}): Promise<{ id: string; event: T.SignedEvent }> {
    const id = this.requireIdentity();
    const unsigned = { v: 1 as const, kind, author: id.did, nonce: opts.nonce ?? randomNonce(), createdAt: opts.createdAt ?? new Date().toISOString(), body };
    const event = (await signEvent(unsigned as never, id.privateKey)) as unknown as T.SignedEvent;
    return { id: await eventIdOf(event), event };
  }

  /** Submits a signed event: 202 pending, or 200 with the current status of a known id. */
  async submit(event: T.SignedEvent): Promise<Submitted> {
    const r = await this.request<T.EventAccepted>("POST", "/v1/events", { json: event });
    return { ...r, event, wait: (opts?: WaitOptions) => this.waitFor(r.id, opts) };
  }

  /** Signs and submits. */
  async send<K extends T.EventKind>(kind: K, body: T.BodyOf<K>, opts: { nonce?: string; createdAt?: string } = {}): Promise<Submitted> {
    return this.submit((await this.sign(kind, body, opts)).event);
  }

  event = (id: string) => this.get<T.EventRecord>(`/v1/events/${seg(id)}`);

  /** Polls GET /v1/events/:id until one of `until` (default: a final status) or the deadline. */
  async waitFor(id: string, opts: WaitOptions = {}): Promise<T.EventRecord> {
    const until = opts.until ?? FINAL_STATUSES;
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    let delay = 50;
    let last: T.EventStatus | "unknown" = "unknown";
    for (;;) {
      let rec: T.EventRecord | null = null;
      try {
        rec = await this.event(id);
      } catch (e) {
        if (!(e instanceof EchoNetError) || e.code !== "not_found") throw e;
      }
      if (rec) {
        if (rec.status !== last) opts.onStatus?.(rec.status);
        last = rec.status;
        if (until.includes(rec.status)) return rec;
      }
      if (Date.now() + delay > deadline) {
        throw new EchoNetError("timeout", `event ${id} is still ${last} after ${opts.timeoutMs ?? 30_000} ms (waiting for ${until.join("|")})`);
      }
      await sleep(delay);
      delay = Math.min(500, Math.round(delay * 1.5));
    }
  }

  /** Verifies an event's receipt offline against GET /v1/witnesses (committee, quorum, signatures). */
  async verifyReceipt(idOrRecord: string | T.EventRecord, witnesses?: T.WitnessList): Promise<ReceiptVerification> {
    const record = typeof idOrRecord === "string" ? await this.event(idOrRecord) : idOrRecord;
    if (!record.receipt) return { ok: false, errors: [`no receipt (status ${record.status})`], record };
    if ((await eventIdOf(record.event)) !== record.id) return { ok: false, errors: ["the event does not hash to its id"], record };
    const check = await verifyReceiptWith(record.id, record.receipt, witnesses ?? (await this.witnesses()));
    return { ...check, record };
  }

  // ---- event shortcuts ----

  post = (body: T.PostBody) => this.send("content.post", body as T.BodyOf<"content.post">);
  deletePost = (target: string) => this.send("content.delete", { target });
  like = (target: string) => this.send("interaction.like", { target });
  share = (target: string) => this.send("interaction.share", { target });
  view = (target: string) => this.send("interaction.view", { target });
  comment = (target: string, text: string) => this.send("interaction.comment", { target, text });
  transfer = (to: string, amount: string, memo?: string) => this.send("ledger.transfer", memo === undefined ? { to, amount } : { to, amount, memo });
  createCampaign = (body: T.CampaignCreateBody) => this.send("campaign.create", body as T.BodyOf<"campaign.create">);
  updateCampaign = (body: T.CampaignUpdateBody) => this.send("campaign.update", body as T.BodyOf<"campaign.update">);
  callContract = (body: T.ContractCallBody) => this.send("contract.call", body as T.BodyOf<"contract.call">);

  // ---- ledger ----

  latestBlock = () => this.get<T.Block>("/v1/blocks/latest");
  block = (height: number) => this.get<T.Block>(`/v1/blocks/${seg(height)}`);
  /** The newest `n` blocks, newest first. */
  async latestBlocks(n = 10): Promise<T.Block[]> {
    const latest = await this.latestBlock();
    const heights: number[] = [];
    for (let h = latest.height - 1; h >= Math.max(0, latest.height - n + 1); h--) heights.push(h);
    return [latest, ...(await Promise.all(heights.map((h) => this.block(h))))];
  }
  account = (did: string, at?: number) => this.get<T.Account>(`/v1/accounts/${seg(did)}${qs({ at })}`);
  /** The identity's own account. */
  balance = () => this.account(this.requireIdentity().did);
  supply = (at?: number) => this.get<T.Supply>(`/v1/ledger/supply${qs({ at })}`);
  contracts = () => this.get<T.ContractCatalog>("/v1/contracts");
  contract = (instance: string, at?: number) => this.get<T.ContractInstance>(`/v1/contracts/${seg(instance)}${qs({ at })}`);

  // ---- content and search ----

  content = (id: string) => this.get<T.Content>(`/v1/content/${seg(id)}`);
  comments = (id: string, page: T.Page = {}) => this.get<T.CommentList>(`/v1/content/${seg(id)}/comments${qs({ ...page })}`);
  authorContent = (did: string, page: T.Page = {}) => this.get<T.ContentList>(`/v1/accounts/${seg(did)}/content${qs({ ...page })}`);
  search = (q: string, opts: T.SearchOptions = {}) => this.get<T.SearchResults>(`/v1/search${qs({ q, ...opts })}`);

  // ---- storage ----

  /** Stores one chunk (≤ 1 MiB) with request auth: 201 stored, 200 when it already existed. */
  uploadChunk = (bytes: Uint8Array) => this.request<T.ChunkStored>("PUT", "/v1/chunks", { raw: bytes, signed: true });

  /** Splits `bytes` into chunks of at most `chunkSize` and uploads them (`concurrency` at a time), in order. */
  async upload(
    bytes: Uint8Array,
    opts: { chunkSize?: number; concurrency?: number; onProgress?: (p: UploadProgress) => void } = {},
  ): Promise<{ size: number; chunks: T.ChunkStored[] }> {
    const size = opts.chunkSize ?? CHUNK_MAX_BYTES;
    const parts: Uint8Array[] = [];
    for (let o = 0; o < bytes.length; o += size) parts.push(bytes.subarray(o, Math.min(bytes.length, o + size)));
    if (parts.length === 0) throw new EchoNetError("validation_failed", "nothing to upload: the data is empty");
    const out: T.ChunkStored[] = new Array(parts.length);
    const progress: UploadProgress = { uploadedBytes: 0, totalBytes: bytes.length, chunksDone: 0, chunks: parts.length };
    opts.onProgress?.({ ...progress });
    let next = 0;
    const worker = async () => {
      while (next < parts.length) {
        const i = next++;
        out[i] = await this.uploadChunk(parts[i]!);
        progress.uploadedBytes += parts[i]!.length;
        progress.chunksDone++;
        opts.onProgress?.({ ...progress });
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 3, parts.length) }, worker));
    return { size: bytes.length, chunks: out };
  }

  /** A chunk's bytes, checked against its CID here as well. */
  async chunk(cid: string): Promise<Uint8Array> {
    const bytes = new Uint8Array(await (await this.raw("GET", `/v1/chunks/${seg(cid)}`)).arrayBuffer());
    if ((await cidForBytes(bytes)) !== cid) throw new EchoNetError("cid_mismatch", `the bytes served for ${cid} do not hash to it`);
    return bytes;
  }
  /** Bytes [start, end] (inclusive) of a chunk (206 Partial Content); checked by the server, not here. */
  async chunkRange(cid: string, start: number, end: number): Promise<Uint8Array> {
    const res = await this.raw("GET", `/v1/chunks/${seg(cid)}`, { headers: { range: `bytes=${start}-${end}` } });
    return new Uint8Array(await res.arrayBuffer());
  }
  /** Whether a chunk exists (HEAD), and its size. */
  async chunkInfo(cid: string): Promise<{ exists: boolean; size?: number }> {
    try {
      const res = await this.raw("HEAD", `/v1/chunks/${seg(cid)}`);
      const size = Number(res.headers.get("content-length") ?? "NaN");
      return Number.isFinite(size) ? { exists: true, size } : { exists: true };
    } catch (e) {
      if (e instanceof EchoNetError && e.status === 404) return { exists: false };
      throw e;
    }
  }
  chunkMeta = (cid: string) => this.get<T.ChunkMeta>(`/v1/chunks/${seg(cid)}/meta`);
  storageNodes = () => this.get<T.StorageNodeList>("/v1/storage/nodes");
  storageAudits = () => this.get<T.AuditRoundList>("/v1/storage/audits");
  storageUsage = (did: string) => this.get<T.StorageUsage>(`/v1/storage/usage/${seg(did)}`);
  challenge = (node: string, cid: string, leafIndex: number) =>
    this.request<T.StorageProof>("POST", `/v1/storage/nodes/${seg(node)}/challenge`, { json: { cid, leafIndex } });

  /** Challenges a node for a leaf of a chunk and checks the proof against the chunk's Merkle root. */
  async verifyStorage(node: string, cid: string, leafIndex: number): Promise<{ ok: boolean; proof: T.StorageProof; meta: T.ChunkMeta }> {
    const [meta, proof] = await Promise.all([this.chunkMeta(cid), this.challenge(node, cid, leafIndex)]);
    const ok = verifyProof(meta.merkleRoot, proof.leafIndex, leafCountFor(meta.size, meta.leafSize), fromBase64(proof.leaf), proof.proof);
    return { ok, proof, meta };
  }

  // ---- DHT (DESIGN §6) ----

  dhtNodes = () => this.get<T.DhtNodeList>("/v1/dht/nodes");
  dhtLookup = (target: string) => this.get<T.DhtLookup>(`/v1/dht/lookup/${seg(target)}`);
  dhtProviders = (key: string) => this.get<T.DhtProviders>(`/v1/dht/providers/${seg(key)}`);
  dhtRpc = (node: string, rpc: T.DhtRpc) => this.request<Json>("POST", `/v1/dht/nodes/${seg(node)}/rpc`, { json: rpc });

  // ---- ads (DESIGN §7) ----

  campaign = (id: string) => this.get<T.Campaign>(`/v1/campaigns/${seg(id)}`);
  campaigns = (advertiser?: string, page: T.Page = {}) => this.get<T.CampaignList>(`/v1/campaigns${qs({ advertiser, ...page })}`);
  /** Runs an auction as the publisher (the client's identity signs the request): a win or null (204). */
  auction = (req: Omit<T.AuctionRequest, "publisher"> & { publisher?: string }) =>
    this.request<T.AuctionWin | null>("POST", "/v1/ads/auction", { json: { ...req, publisher: req.publisher ?? this.requireIdentity().did }, signed: true });
  adEvent = (token: string, type: "impression" | "click") => this.request<Json>("POST", "/v1/ads/events", { json: { token, type } });

  // ---- Proof of Engagement (DESIGN §8) ----

  currentEpoch = () => this.get<T.Epoch>("/v1/poe/epochs/current");
  epoch = (n: number) => this.get<T.Epoch>(`/v1/poe/epochs/${seg(n)}`);
  rewards = (n: number, did: string) => this.get<T.EpochRewards>(`/v1/poe/epochs/${seg(n)}/rewards/${seg(did)}`);

  // ---- admin (Bearer ADMIN_TOKEN) ----

  readonly admin = {
    mint: (to: string, amount: string, idempotencyKey?: string) =>
      this.request<T.EventAccepted>("POST", "/v1/admin/mint", { json: { to, amount }, admin: true, headers: idempotencyKey ? { "idempotency-key": idempotencyKey } : {} }),
    reputation: (did: string, score: number) => this.request<T.EventAccepted>("POST", "/v1/admin/reputation", { json: { did, score }, admin: true }),
    storageAudit: (cids?: string[]) => this.request<Json>("POST", "/v1/admin/storage/audit", cids ? { json: { cids }, admin: true } : { admin: true }),
    closeEpoch: (epoch?: number) => this.request<Json>("POST", "/v1/admin/poe/close", { json: epoch === undefined ? {} : { epoch }, admin: true }),
  };
}

/** True when the error says the deployment does not have this endpoint (a capability not deployed). */
export const isNotAvailable = (e: unknown): boolean => e instanceof EchoNetError && e.status === 404 && /^no route /.test(e.detail);
