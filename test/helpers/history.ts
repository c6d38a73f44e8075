// A history checker for the ledger (issue 9): the client-observed history of concurrent
// operations — each with its invocation and completion time and its result — is checked
// against a sequential model, so a stale read or a lost update is found even when the final
// totals happen to look right. Pure (no I/O); unit-tested in test/unit/history.test.ts.
//
// The ledger claims a serialization: final writes ordered by (block, sequence). The checker
// replays that order through a sequential balance model and requires:
//   1. outcome: each write's status is what the model gives at its place in the order
//      (applied vs failed insufficient_balance) — a double spend or a lost debit shows here;
//   2. value: each read `(did) → {balance, height}` equals the model after every write of
//      block ≤ height — a read that misses a write (a lost update) or shows a future one
//      shows here;
//   3. real time: a read invoked after a write completed (final at block b) reports a height
//      ≥ b, and a read invoked after another read completed reports a height at least as
//      high — a stale read shows here even when its value matches its (old) height.
// The history must hold every write that touches its accounts (tests use fresh identities).
// Campaign histories (budgets, reservations) join this module with the ad marketplace.

export type WriteResult = { status: "applied" | "failed"; block: number; sequence: number; reason?: string } | { status: "rejected"; reason?: string };

export type HistoryOp =
  | { type: "mint"; client: string; invokeAt: number; completeAt: number; id: string; to: string; amount: bigint; result: WriteResult }
  | { type: "transfer"; client: string; invokeAt: number; completeAt: number; id: string; from: string; to: string; amount: bigint; result: WriteResult }
  | { type: "read"; client: string; invokeAt: number; completeAt: number; did: string; at?: number; result: { balance: bigint; height: number } };

export interface Anomaly {
  kind: "wrong_outcome" | "wrong_value" | "stale_read" | "non_monotonic_read" | "bad_order";
  detail: string;
}

type Write = Extract<HistoryOp, { type: "mint" | "transfer" }>;
type Final = Write & { result: { status: "applied" | "failed"; block: number; sequence: number } };

const isFinal = (w: Write): w is Final => w.result.status === "applied" || w.result.status === "failed";

export function checkHistory(history: HistoryOp[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const writes = history.filter((o): o is Write => o.type !== "read");
  const reads = history.filter((o): o is Extract<HistoryOp, { type: "read" }> => o.type === "read");
  const order = writes.filter(isFinal).sort((a, b) => a.result.sequence - b.result.sequence);

  // Sequences must increase with blocks (the claimed serialization is a total order).
  for (let i = 1; i < order.length; i++) {
    if (order[i]!.result.block < order[i - 1]!.result.block) anomalies.push({ kind: "bad_order", detail: `${order[i]!.id} has a later sequence but an earlier block than ${order[i - 1]!.id}` });
  }

  // Replay: the model's balances after each block.
  const balances = new Map<string, bigint>();
  const get = (d: string) => balances.get(d) ?? 0n;
  const snapshots: { height: number; balances: Map<string, bigint> }[] = [];
  for (const w of order) {
    if (snapshots.length === 0 || snapshots[snapshots.length - 1]!.height !== w.result.block) {
      // Balances before block w.result.block are those after the previous block.
      snapshots.push({ height: w.result.block - 1, balances: new Map(balances) });
    }
    let expected: "applied" | "failed" = "applied";
    if (w.type === "mint") balances.set(w.to, get(w.to) + w.amount);
    else if (get(w.from) < w.amount) expected = "failed";
    else {
      balances.set(w.from, get(w.from) - w.amount);
      balances.set(w.to, get(w.to) + w.amount);
    }
    if (w.result.status !== expected) anomalies.push({ kind: "wrong_outcome", detail: `${w.type} ${w.id}: ledger ${w.result.status}, model ${expected}` });
  }
  const final = new Map(balances);
  const modelAt = (height: number, did: string): bigint => {
    // The last snapshot taken before a block > height, else the final state.
    let state: Map<string, bigint> = final;
    for (const s of snapshots) {
      if (s.height >= height) {
        state = s.balances;
        break;
      }
    }
    return state.get(did) ?? 0n;
  };

  for (const r of reads) {
    const want = modelAt(r.result.height, r.did);
    if (want !== r.result.balance) anomalies.push({ kind: "wrong_value", detail: `read of ${r.did} at height ${r.result.height} by ${r.client}: ${r.result.balance}, model ${want}` });
    if (r.at !== undefined) continue; // an explicit past height is not a "latest" read
    for (const w of order) {
      if (w.completeAt < r.invokeAt && w.result.block > r.result.height) {
        anomalies.push({ kind: "stale_read", detail: `read by ${r.client} invoked after ${w.id} completed (block ${w.result.block}) reports height ${r.result.height}` });
        break;
      }
    }
    for (const p of reads) {
      if (p.at === undefined && p.completeAt < r.invokeAt && p.result.height > r.result.height) {
        anomalies.push({ kind: "non_monotonic_read", detail: `read by ${r.client} reports height ${r.result.height} after a read completed at height ${p.result.height}` });
        break;
      }
    }
  }
  return anomalies;
}

// ---------------------------------------------------------------- campaigns (DESIGN §7)
//
// The client-observed history of one campaign under concurrent auctions, interaction events
// and reads. The claimed sequential model: the campaign is a budget with a set of charges,
// each (auctionId, type) charged at most once at the auction's price, applied one at a time;
// a read returns the state after some prefix of those charges plus the live reservations.
// The checker requires:
//   1. budget: every read has spent + reserved ≤ budget;
//   2. monotonic: a read invoked after another completed sees spent, impressions and clicks
//      at least as high;
//   3. value: every read's (impressions, clicks, spent) is reachable — a subset of the
//      billable pairs reported before the read completed, each at its auction's price (no
//      charge for an interaction nobody reported yet, none at a wrong price);
//   4. final: after quiescence, spent = Σ price of the charged pairs, where exactly the
//      accepted (202) billable pairs are charged, each once (CPM: the impression; CPC: the
//      click, which needs its impression); impressions and clicks count distinct pairs.

export type CampaignOp =
  | { type: "auction"; client: string; invokeAt: number; completeAt: number; result: { won: false } | { won: true; auctionId: string; model: "cpm" | "cpc"; price: bigint } }
  | { type: "event"; client: string; invokeAt: number; completeAt: number; auctionId: string; kind: "impression" | "click"; result: { status: number } }
  | { type: "read"; client: string; invokeAt: number; completeAt: number; final?: boolean; result: { spent: bigint; reserved: bigint; budget: bigint; impressions: number; clicks: number } };

export interface CampaignAnomaly {
  kind: "overspent" | "non_monotonic_read" | "unreachable_read" | "wrong_final" | "unknown_auction";
  detail: string;
}

export function checkCampaignHistory(history: CampaignOp[]): CampaignAnomaly[] {
  const out: CampaignAnomaly[] = [];
  const wins = new Map<string, { model: "cpm" | "cpc"; price: bigint }>();
  for (const o of history) if (o.type === "auction" && o.result.won) wins.set(o.result.auctionId, { model: o.result.model, price: o.result.price });
  const events = history.filter((o): o is Extract<CampaignOp, { type: "event" }> => o.type === "event");
  const reads = history.filter((o): o is Extract<CampaignOp, { type: "read" }> => o.type === "read");
  for (const e of events) if (!wins.has(e.auctionId)) out.push({ kind: "unknown_auction", detail: `event for ${e.auctionId}, which no auction returned` });

  for (const r of reads) {
    const v = r.result;
    if (v.spent + v.reserved > v.budget) out.push({ kind: "overspent", detail: `read by ${r.client}: spent ${v.spent} + reserved ${v.reserved} > budget ${v.budget}` });
    const earlier = reads.find((p) => p.completeAt < r.invokeAt && (p.result.spent > v.spent || p.result.impressions > v.impressions || p.result.clicks > v.clicks));
    if (earlier) out.push({ kind: "non_monotonic_read", detail: `read by ${r.client} saw ${v.spent}/${v.impressions}/${v.clicks} after a read that completed with ${earlier.result.spent}/${earlier.result.impressions}/${earlier.result.clicks}` });
    if (!reachable(events, wins, r)) out.push({ kind: "unreachable_read", detail: `read by ${r.client} (spent ${v.spent}, ${v.impressions} impressions, ${v.clicks} clicks) is no subset of the interactions reported before it completed` });
  }

  // Final: exactly the accepted billable pairs, each once.
  const accepted = new Set(events.filter((e) => e.result.status === 202).map((e) => `${e.auctionId} ${e.kind}`));
  let spent = 0n;
  let impressions = 0;
  let clicks = 0;
  for (const [id, w] of wins) {
    const imp = accepted.has(`${id} impression`);
    const clk = imp && accepted.has(`${id} click`);
    if (imp) impressions++;
    if (clk) clicks++;
    if (w.model === "cpm" ? imp : clk) spent += w.price;
  }
  const final = reads.filter((r) => r.final).at(-1);
  if (final && (final.result.spent !== spent || final.result.impressions !== impressions || final.result.clicks !== clicks)) {
    out.push({ kind: "wrong_final", detail: `final read ${final.result.spent}/${final.result.impressions}/${final.result.clicks}; model (each accepted billable pair once) ${spent}/${impressions}/${clicks}` });
  }
  return out;
}

/** Is (impressions, clicks, spent) reachable from the pairs reported (invoked) before the read completed? */
function reachable(events: Extract<CampaignOp, { type: "event" }>[], wins: Map<string, { model: "cpm" | "cpc"; price: bigint }>, r: Extract<CampaignOp, { type: "read" }>): boolean {
  const reported = new Set(events.filter((e) => e.invokeAt < r.completeAt).map((e) => `${e.auctionId} ${e.kind}`));
  // Per auction, the (impressions, clicks, spent) steps it can contribute: none, its
  // impression, or its impression and click (a click is counted only with its impression).
  const options: { i: number; c: number; s: bigint }[][] = [];
  for (const [id, w] of wins) {
    if (!reported.has(`${id} impression`)) continue;
    const o = [{ i: 0, c: 0, s: 0n }, { i: 1, c: 0, s: w.model === "cpm" ? w.price : 0n }];
    if (reported.has(`${id} click`)) o.push({ i: 1, c: 1, s: w.price });
    options.push(o);
  }
  const { impressions, clicks, spent } = r.result;
  // Dynamic programming over reachable (impressions, clicks, spent) triples, pruned to the target.
  let states = new Set<string>(["0 0 0"]);
  for (const o of options) {
    const next = new Set<string>();
    for (const st of states) {
      const [i, c, s] = st.split(" ");
      for (const x of o) {
        const ni = Number(i) + x.i;
        const nc = Number(c) + x.c;
        const ns = BigInt(s!) + x.s;
        if (ni <= impressions && nc <= clicks && ns <= spent) next.add(`${ni} ${nc} ${ns}`);
      }
    }
    states = next;
  }
  return states.has(`${impressions} ${clicks} ${spent}`);
}
