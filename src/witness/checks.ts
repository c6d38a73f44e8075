// What a witness checks before it attests (DESIGN §4): a registry of checks per event kind.
// Every kind gets the envelope checks; later capabilities register their kind checks here
// (target exists, chunks stored, campaign exists, only the author deletes). Witnesses never
// look at balances or reputation: those effects are decided deterministically at application.
import { AnyEvent, EVENT_KINDS, SYSTEM_KINDS, type AnyKind, type AnySignedEvent } from "../schemas/events";
import { checkContractCall } from "../ledger/contracts";
import { getSystemDid } from "./registry";
import { getConfig } from "../lib/config";
import { contentShardFor } from "../workers/shards";
import { isFresh, signingBytes, verifyEventSignatureOver } from "../lib/events";
import { sha256Hex } from "../lib/crypto";
import type { Env } from "../env";
import { missingChunks } from "../storage/store";

export interface CheckContext {
  id: string;
  /** JCS of the event without sig: its id is their sha256, its signature is over them. */
  bytes: Uint8Array;
  event: AnySignedEvent;
  intakeAt: number;
  skewMs: number;
  env: Env;
}

/** Returns a rejection reason (stable snake_case) or null when the check passes. */
export type Check = (ctx: CheckContext) => Promise<string | null> | string | null;

const envelopeChecks: Check[] = [
  async ({ id, bytes }) => ((await sha256Hex(bytes)) === id ? null : "id_mismatch"),
  async ({ event, bytes }) => ((await verifyEventSignatureOver(event, bytes)) ? null : "invalid_signature"),
  ({ event, intakeAt, skewMs }) => (isFresh(event.createdAt, intakeAt, skewMs) ? null : "stale_event"),
];

const kindChecks = new Map<AnyKind, Check[]>([...EVENT_KINDS, ...SYSTEM_KINDS].map((k) => [k, []]));

/** Used by later capabilities to add the checks whose state they own. */
export function registerCheck(kind: AnyKind, check: Check): void {
  kindChecks.get(kind)!.push(check);
}

// System events are valid only when signed by the deployment's system key.
const bySystem: Check = async ({ event, env }) => (event.author === (await getSystemDid(env)) ? null : "not_system_author");
for (const k of SYSTEM_KINDS) registerCheck(k, bySystem);

// Native contracts: the contract, version and method exist and the args fit the method.
// Whether the instance exists is decided at application (it may be created earlier in the
// same block).
registerCheck("contract.call", ({ event }) => (event.kind === "contract.call" ? checkContractCall(event.body) : null));

// Storage (issue 5): a post may only reference chunks the data store holds.
registerCheck("content.post", async ({ event, env }) => {
  if (event.kind !== "content.post" || !event.body.chunks?.length) return null;
  return (await missingChunks(env, event.body.chunks)).length > 0 ? "missing_chunk" : null;
});

export type ValidationOutcome = { verdict: "accept" } | { verdict: "reject"; reason: string };

export async function validateForAttestation(
  raw: { id: string; event: unknown; intakeAt: number },
  skewMs: number,
  env: Env,
): Promise<ValidationOutcome> {
  const parsed = AnyEvent.safeParse(raw.event);
  if (!parsed.success) return { verdict: "reject", reason: "validation_failed" };
  let bytes: Uint8Array;
  try {
    bytes = signingBytes(parsed.data);
  } catch {
    return { verdict: "reject", reason: "validation_failed" };
  }
  const ctx: CheckContext = { id: raw.id, bytes, event: parsed.data, intakeAt: raw.intakeAt, skewMs, env };
  for (const check of [...envelopeChecks, ...(kindChecks.get(parsed.data.kind) ?? [])]) {
    const reason = await check(ctx);
    if (reason !== null) return { verdict: "reject", reason };
  }
  return { verdict: "accept" };
}

// Content: interaction and comment targets must exist and be live; only the author deletes.
// (Referenced chunks must be stored: registered by the data store.)
async function lookupTarget(env: Env, target: string) {
  const shard = env.CONTENT_SHARD.getByName(contentShardFor(target, getConfig(env).CONTENT_SHARDS));
  return (await shard.lookup([target]))[target];
}

const liveTarget: Check = async ({ event, env }) => {
  if (!("target" in event.body)) return null;
  const t = await lookupTarget(env, event.body.target as string);
  if (!t) return "target_not_found";
  return t.status === "live" ? null : "target_deleted";
};
for (const k of ["interaction.like", "interaction.share", "interaction.view", "interaction.comment"] as const) registerCheck(k, liveTarget);

registerCheck("content.delete", async ({ event, env }) => {
  if (event.kind !== "content.delete") return null;
  const t = await lookupTarget(env, event.body.target);
  if (!t) return "target_not_found";
  if (t.author !== event.author) return "not_author";
  return t.status === "live" ? null : "target_deleted";
});

// Ads (issue 7): a campaign cannot be created already over — its `endsAt` must lie after the
// intake time (it would only lock the budget in escrow until its close refunded it).
registerCheck("campaign.create", ({ event, intakeAt }) => {
  if (event.kind !== "campaign.create" || event.body.endsAt === undefined) return null;
  return Date.parse(event.body.endsAt) > intakeAt ? null : "ends_in_past";
});

// Ads (issue 7): a campaign.update names an existing campaign of the same advertiser.
registerCheck("campaign.update", async ({ event, env }) => {
  if (event.kind !== "campaign.update") return null;
  const info = await env.CAMPAIGN.getByName(event.body.campaign).info();
  if (!info) return "campaign_not_found";
  return info.advertiser === event.author ? null : "not_advertiser";
});
