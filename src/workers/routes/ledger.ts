// Blocks, accounts, supply and native contracts (DESIGN §4). Reads are served as of the
// settled height (the last height every shard has applied); ?at=<height> reads the past,
// which never changes.
import { Hono } from "hono";
import type { Env } from "../../env";
import { getConfig } from "../../lib/config";
import { ApiError } from "../../lib/errors";
import { contractCatalog } from "../../ledger/contracts";
import { DidParam, HeightParam, HeightQuery, InstanceParam } from "../../schemas/api";
import { accountShardFor, SEQUENCER } from "../shards";
import { parseOr400, type AppContext } from "../http";

export const ledger = new Hono<{ Bindings: Env }>();

const sequencer = (c: AppContext) => c.env.SEQUENCER.getByName(SEQUENCER);

/** The height to read at: ?at= if given and settled, else the settled height. */
async function readHeight(c: AppContext): Promise<number> {
  const { at } = parseOr400(HeightQuery, c.req.query(), "query");
  const { settledHeight } = await sequencer(c).view();
  if (at === undefined) return settledHeight;
  if (at > settledHeight) throw new ApiError(404, "not_found", `height ${at} is not settled yet (settled: ${settledHeight})`);
  return at;
}

// "/blocks/latest" is served by the "/blocks/:height" route: Hono's RegExpRouter (the fast
// one) refuses a static segment beside a parameter, and one such pair in the app sends every
// request through the slower TrieRouter (test/api/router.test.ts).
ledger.get("/blocks/:height", async (c) => {
  if (c.req.param("height") === "latest") return c.json(await sequencer(c).latestBlock());
  const { height } = parseOr400(HeightParam, c.req.param(), "path");
  const block = await sequencer(c).block(height);
  if (!block) throw new ApiError(404, "not_found", `no block at height ${height}`);
  return c.json(block);
});

ledger.get("/accounts/:did", async (c) => {
  const { did } = parseOr400(DidParam, c.req.param(), "path");
  const height = await readHeight(c);
  const shard = c.env.ACCOUNT_SHARD.getByName(accountShardFor(did, getConfig(c.env).ACCOUNT_SHARDS));
  const account = (await shard.read([did], height))[did]!;
  return c.json({ did, ...account, height });
});

ledger.get("/ledger/supply", async (c) => {
  const height = await readHeight(c);
  const supply = await sequencer(c).supply(height);
  if (!supply) throw new ApiError(404, "not_found", `no supply at height ${height}`);
  return c.json(supply);
});

ledger.get("/contracts", (c) => c.json(contractCatalog()));

ledger.get("/contracts/:instance", async (c) => {
  const { instance } = parseOr400(InstanceParam, c.req.param(), "path");
  const height = await readHeight(c);
  const found = await c.env.CONTRACT_INSTANCE.getByName(instance).read(height);
  if (!found) throw new ApiError(404, "not_found", `no contract instance ${instance} at height ${height}`);
  const { contract, version, ...state } = found.state;
  return c.json({ instance, contract, version, state, updatedAt: found.height, height });
});
