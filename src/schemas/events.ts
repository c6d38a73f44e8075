// The signed event envelope and every event kind's body (DESIGN §4). Strict objects: an
// unknown key anywhere is a 400.
import { z } from "zod";
import { named } from "./registry";
import { Amount, ChunkCid, Did, Hex64, HttpUrl, IsoTime, Lang, Nonce, Signature, Tag } from "./primitives";

const target = { target: Hex64.describe("id of the event that created the target content") };

export const ContentPostBody = named(
  z.strictObject({
    title: z.string().min(1).max(300).optional(),
    text: z.string().min(1).max(20_000),
    tags: z.array(Tag).max(16).optional(),
    lang: Lang.optional(),
    chunks: z.array(ChunkCid).max(64).optional(),
  }),
  "ContentPostBody",
);
export const ContentDeleteBody = named(z.strictObject({ ...target }), "ContentDeleteBody");
export const InteractionBody = named(z.strictObject({ ...target }), "InteractionBody");
export const InteractionCommentBody = named(
  z.strictObject({ ...target, text: z.string().min(1).max(5_000) }),
  "InteractionCommentBody",
);
export const LedgerTransferBody = named(
  z.strictObject({ to: Did, amount: Amount, memo: z.string().max(256).optional() }),
  "LedgerTransferBody",
);

const MIN_CPM_BID = 1000n;
export const CampaignCreateBody = named(
  z
    .strictObject({
      name: z.string().min(1).max(200),
      bid: z.strictObject({ model: z.enum(["cpm", "cpc"]), amount: Amount }),
      budget: Amount,
      dailyBudget: Amount.optional(),
      targeting: z.strictObject({
        keywords: z.array(z.string().min(1).max(64)).max(50).optional(),
        tags: z.array(Tag).max(50).optional(),
        langs: z.array(Lang).max(20).optional(),
      }),
      creative: z.strictObject({
        title: z.string().min(1).max(200),
        text: z.string().min(1).max(1_000),
        url: HttpUrl,
      }),
      frequencyCap: z.number().int().min(1).max(1_000_000).optional(),
      endsAt: IsoTime.optional(),
    })
    .superRefine((b, ctx) => {
      if (b.bid.model === "cpm" && /^\d+$/.test(b.bid.amount) && BigInt(b.bid.amount) < MIN_CPM_BID) {
        ctx.addIssue({ code: "custom", path: ["bid", "amount"], message: "a CPM bid is per 1,000 impressions and at least 1000 units" });
      }
    }),
  "CampaignCreateBody",
);
export const CampaignUpdateBody = named(
  z
    .strictObject({
      campaign: Hex64,
      status: z.enum(["active", "paused", "ended"]).optional(),
      addBudget: Amount.optional(),
    })
    .refine((b) => b.status !== undefined || b.addBudget !== undefined, "status or addBudget is required"),
  "CampaignUpdateBody",
);
export const ContractCallBody = named(
  z.strictObject({
    contract: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
    version: z.number().int().min(1),
    instance: Hex64.optional(),
    method: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/),
    args: z.record(z.string(), z.unknown()),
  }),
  "ContractCallBody",
);

const envelope = <K extends string, B extends z.ZodType>(kind: K, body: B) =>
  z.strictObject({
    v: z.literal(1),
    kind: z.literal(kind),
    author: Did,
    nonce: Nonce,
    createdAt: IsoTime,
    body,
    sig: Signature,
  });

export const EVENT_KINDS = [
  "content.post",
  "content.delete",
  "interaction.like",
  "interaction.share",
  "interaction.view",
  "interaction.comment",
  "ledger.transfer",
  "campaign.create",
  "campaign.update",
  "contract.call",
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const Event = named(
  z.discriminatedUnion("kind", [
    envelope("content.post", ContentPostBody),
    envelope("content.delete", ContentDeleteBody),
    envelope("interaction.like", InteractionBody),
    envelope("interaction.share", InteractionBody),
    envelope("interaction.view", InteractionBody),
    envelope("interaction.comment", InteractionCommentBody),
    envelope("ledger.transfer", LedgerTransferBody),
    envelope("campaign.create", CampaignCreateBody),
    envelope("campaign.update", CampaignUpdateBody),
    envelope("contract.call", ContractCallBody),
  ]),
  "Event",
  "A signed event. id = hex sha256(JCS(event without sig)); sig = Ed25519 over the same bytes by the author's key.",
);
export type SignedEvent = z.infer<typeof Event>;
export type UnsignedEvent = Omit<SignedEvent, "sig">;

// ---- System events: created only by the deployment, signed by its system key, never
// accepted at POST /v1/events. `key` makes each idempotent: one key, one event.
const SysKey = z.string().regex(/^[A-Za-z0-9:._-]{1,128}$/, "expected an idempotency key of 1-128 characters");

export const SysMintBody = named(z.strictObject({ to: Did, amount: Amount, key: SysKey }), "SysMintBody");
export const SysReputationBody = named(
  z.strictObject({ did: Did, score: z.number().int().min(0).max(100), key: SysKey }),
  "SysReputationBody",
);

// Proof of Engagement (DESIGN §8): an epoch's close fixes its last height and claims the
// unclaimed ad revenue; payouts are batches (amounts in base units; `gain` is the reputation
// gain, decay applies to every listed account; `rollover` returns an empty epoch's revenue).
const Units = z.string().regex(/^(0|[1-9][0-9]{0,29})$/, "expected a non-negative integer number of base units as a decimal string");
export const SysPoeCloseBody = named(z.strictObject({ epoch: z.number().int().min(0), key: SysKey }), "SysPoeCloseBody");
export const SysPoePayoutBody = named(
  z.strictObject({
    epoch: z.number().int().min(0),
    batch: z.number().int().min(0),
    batches: z.number().int().min(1),
    mint: Units,
    fromPool: Units,
    rollover: z.boolean(),
    entries: z.array(z.strictObject({ did: Did, amount: Units, gain: z.number().int().min(0).max(100) })).max(500),
    key: SysKey,
  }),
  "SysPoePayoutBody",
);

// Ad settlement (DESIGN §7): charges converted by a Campaign DO, paid out of its escrow —
// `publisherShare` to the publisher, the rest into the PoE reward pool. The split is fixed in
// the event (AD_PUBLISHER_SHARE_BPS at issue time) so application needs no configuration.
// `close` (after every charge batch applied and every reservation released) refunds the
// campaign's unspent escrow to the advertiser.
export const SysAdsSettleBody = named(
  z
    .strictObject({
      key: SysKey,
      campaign: Hex64,
      charges: z.array(z.strictObject({ publisher: Did, amount: Amount, publisherShare: z.string().regex(/^(0|[1-9][0-9]{0,29})$/) })).max(200),
      close: z.boolean().optional(),
    })
    .refine((b) => b.charges.length > 0 || b.close === true, "charges or close is required"),
  "SysAdsSettleBody",
);

export const SYSTEM_KINDS = ["sys.mint", "sys.reputation", "sys.poe.close", "sys.poe.payout", "sys.ads.settle"] as const;
export type SystemKind = (typeof SYSTEM_KINDS)[number];

export const SystemEvent = named(
  z.discriminatedUnion("kind", [
    envelope("sys.mint", SysMintBody),
    envelope("sys.reputation", SysReputationBody),
    envelope("sys.poe.close", SysPoeCloseBody),
    envelope("sys.poe.payout", SysPoePayoutBody),
    envelope("sys.ads.settle", SysAdsSettleBody),
  ]),
  "SystemEvent",
  "An event created by the deployment itself (author = its system did:key), ordered like every other event.",
);
export type SignedSystemEvent = z.infer<typeof SystemEvent>;

/** What witnesses and the block executor accept: user events and system events. */
export const AnyEvent = z.union([Event, SystemEvent]);
export type AnySignedEvent = SignedEvent | SignedSystemEvent;
export type AnyKind = EventKind | SystemKind;
