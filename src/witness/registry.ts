// The hosted witness set: WITNESS_COUNT WitnessNode DOs named witness-0…witness-(n-1). Their
// keys never change once made, so each isolate caches the set as an immutable snapshot
// (src/lib/isolate-cache.ts: the resolved set, never a pending read).
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { quorumFor } from "../lib/committee";
import type { WitnessInfo } from "../schemas/api";
import { SYSTEM_ISSUER } from "../workers/shards";
import { IsolateCache } from "../lib/isolate-cache";

export interface HostedWitness extends WitnessInfo {
  name: string;
}

const witnessSet = new IsolateCache<number, readonly HostedWitness[]>();
const systemDid = new IsolateCache<0, string>();

export function witnessStub(env: Env, name: string) {
  return env.WITNESS_NODE.getByName(name);
}

export function getWitnessSet(env: Env): Promise<readonly HostedWitness[]> {
  const count = getConfig(env).WITNESS_COUNT;
  return witnessSet.get(count, () =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const name = `witness-${i}`;
        const id = await witnessStub(env, name).identity();
        return Object.freeze({ name, did: id.did, publicKey: id.publicKey, status: "active" as const });
      }),
    ),
  );
}

export async function witnessList(env: Env) {
  const witnesses = await getWitnessSet(env);
  const active = witnesses.filter((w) => w.status === "active").length;
  const committeeSize = getConfig(env).COMMITTEE_SIZE;
  return {
    committeeSize,
    quorum: quorumFor(Math.min(committeeSize, active)),
    witnesses: witnesses.map(({ did, publicKey, status }) => ({ did, publicKey, status })),
  };
}

/** The deployment's system did:key (author of every sys.* event); it never changes. */
export function getSystemDid(env: Env): Promise<string> {
  return systemDid.get(0, async () => (await env.SYSTEM_ISSUER.getByName(SYSTEM_ISSUER).identity()).did);
}
