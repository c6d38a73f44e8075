// The hosted witness set: WITNESS_COUNT WitnessNode DOs named witness-0…witness-(n-1). Their
// keys never change once made, so each isolate caches the set as an immutable snapshot.
import type { Env } from "../env";
import { getConfig } from "../lib/config";
import { quorumFor } from "../lib/committee";
import type { WitnessInfo } from "../schemas/api";
import { SYSTEM_ISSUER } from "../workers/shards";

export interface HostedWitness extends WitnessInfo {
  name: string;
}

let cache: { count: number; witnesses: Promise<readonly HostedWitness[]> } | undefined;

export function witnessStub(env: Env, name: string) {
  return env.WITNESS_NODE.getByName(name);
}

export function getWitnessSet(env: Env): Promise<readonly HostedWitness[]> {
  const count = getConfig(env).WITNESS_COUNT;
  if (cache?.count === count) return cache.witnesses;
  const witnesses = Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `witness-${i}`;
      const id = await witnessStub(env, name).identity();
      return Object.freeze({ name, did: id.did, publicKey: id.publicKey, status: "active" as const });
    }),
  );
  cache = { count, witnesses };
  witnesses.catch(() => {
    if (cache?.witnesses === witnesses) cache = undefined;
  });
  return witnesses;
}

let systemDid: Promise<string> | undefined;

/** The deployment's system did:key (author of every sys.* event); it never changes. */
export function getSystemDid(env: Env): Promise<string> {
  systemDid ??= env.SYSTEM_ISSUER.getByName(SYSTEM_ISSUER)
    .identity()
    .then((i) => i.did);
  systemDid.catch(() => (systemDid = undefined));
  return systemDid;
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
