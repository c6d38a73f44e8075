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
