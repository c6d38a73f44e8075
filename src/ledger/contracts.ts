// Native contracts: fixed, versioned types. Each instance's state lives in its own
// ContractInstance DO; the transitions below are pure and run inside the block executor, one
// call at a time in sequence order, so every instance is processed sequentially.
import { z } from "zod";
import { Amount, Did, IsoTime } from "../schemas/primitives";
import type { CampaignLedgerState } from "./campaigns";

export const EscrowCreateArgs = z.strictObject({ beneficiary: Did, amount: Amount, expiresAt: IsoTime.optional() });
export const EscrowCloseArgs = z.strictObject({});

export interface EscrowState {
  contract: "escrow";
  version: 1;
  depositor: string;
  beneficiary: string;
  amount: string;
  expiresAt?: string;
  status: "open" | "released" | "refunded" | "expired";
  createdHeight: number;
  closedHeight?: number;
}

export type ContractState = EscrowState | CampaignLedgerState;

interface MethodSpec {
  args: z.ZodType;
  /** true when the call creates a new instance (no `instance` field); false when it needs one. */
  creates: boolean;
  description: string;
}

export const CONTRACTS: Record<string, Record<number, Record<string, MethodSpec>>> = {
  escrow: {
    1: {
      create: {
        args: EscrowCreateArgs,
        creates: true,
        description: "lock `amount` of the caller's balance for `beneficiary`; refunded automatically at `expiresAt` (block time)",
      },
      release: { args: EscrowCloseArgs, creates: false, description: "the depositor pays the escrowed amount to the beneficiary" },
      refund: {
        args: EscrowCloseArgs,
        creates: false,
        description: "the beneficiary returns the funds to the depositor, or the depositor takes them back after expiry",
      },
    },
  },
};

export function contractCatalog() {
  return {
    contracts: Object.entries(CONTRACTS).map(([name, versions]) => ({
      name,
      versions: Object.entries(versions).map(([version, methods]) => ({
        version: Number(version),
        methods: Object.entries(methods).map(([method, spec]) => ({ method, creates: spec.creates, description: spec.description })),
      })),
    })),
  };
}

export function methodSpec(contract: string, version: number, method: string): MethodSpec | undefined {
  return CONTRACTS[contract]?.[version]?.[method];
}

/** Static validity of a contract.call body (what a witness can judge without state). */
export function checkContractCall(body: { contract: string; version: number; instance?: string; method: string; args: unknown }): string | null {
  if (!CONTRACTS[body.contract]) return "unknown_contract";
  if (!CONTRACTS[body.contract]![body.version]) return "unknown_contract_version";
  const spec = methodSpec(body.contract, body.version, body.method);
  if (!spec) return "unknown_method";
  if (spec.creates && body.instance !== undefined) return "instance_not_allowed";
  if (!spec.creates && body.instance === undefined) return "instance_required";
  if (!spec.args.safeParse(body.args).success) return "invalid_args";
  return null;
}
