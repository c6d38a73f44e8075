// Response bodies and the other request bodies of the public API.
import { z } from "zod";
import { named } from "./registry";
import { Did, Hex64, IsoTime } from "./primitives";
import { Event } from "./events";

export const EventStatus = z.enum(["pending", "attested", "applied", "failed", "rejected"]);
export type EventStatus = z.infer<typeof EventStatus>;

export const Problem = named(
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe("stable snake_case error code"),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
  "Problem",
  "RFC 9457 problem details (application/problem+json)",
);

export const Attestation = named(
  z.strictObject({
    witness: Did,
    verdict: z.enum(["accept", "reject"]),
    reason: z.string().optional(),
    sig: z.string(),
  }),
  "Attestation",
  'sig = Ed25519 over JCS({type:"echonet.attestation.v1", eventId, witness, verdict, reason?})',
);
export type Attestation = z.infer<typeof Attestation>;

export const Receipt = named(
  z.strictObject({
    committee: z.array(Did),
    attestations: z.array(Attestation),
    quorum: z.number().int(),
    sequence: z.number().int().optional(),
    block: z.number().int().optional(),
  }),
  "Receipt",
);
export type Receipt = z.infer<typeof Receipt>;

export const EventAccepted = named(z.object({ id: Hex64, status: EventStatus }), "EventAccepted");

export const EventRecord = named(
  z.object({
    id: Hex64,
    event: Event,
    status: EventStatus,
    reason: z.string().optional(),
    receipt: Receipt.optional(),
  }),
  "EventRecord",
);
export type EventRecord = z.infer<typeof EventRecord>;

export const Witness = z.object({ did: Did, publicKey: z.string(), status: z.enum(["active", "inactive"]) });
export const WitnessList = named(
  z.object({ committeeSize: z.number().int(), quorum: z.number().int(), witnesses: z.array(Witness) }),
  "WitnessList",
);
export type WitnessInfo = z.infer<typeof Witness>;

export const Health = named(z.object({ ok: z.boolean(), time: IsoTime }), "Health");

export const NetworkStatus = named(
  z.object({
    time: IsoTime,
    settledHeight: z.number().int().nullable(),
    latestHeight: z.number().int().nullable(),
    events: z.record(EventStatus, z.number().int()),
    inbox: z.object({ pending: z.number().int(), max: z.number().int() }),
    queues: z.record(z.string(), z.object({ lag: z.number().int() })),
    shards: z.record(z.string(), z.number().int()),
  }),
  "NetworkStatus",
);

export const FaultSettings = named(
  z.strictObject({
    witnessInboxFailRate: z.number().min(0).max(1).optional(),
    witnessInboxDropRate: z.number().min(0).max(1).optional(),
    witnessInboxDuplicateRate: z.number().min(0).max(1).optional(),
  }),
  "FaultSettings",
  "Fault injection (only when ECHONET_FAULTS=1): share of witness-inbox deliveries to fail (retried), drop (acked unprocessed: a lost message) or duplicate.",
);
export type FaultSettings = z.infer<typeof FaultSettings>;

export const EventIdParam = z.strictObject({ id: Hex64 });
