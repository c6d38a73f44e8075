// RFC 6962 Merkle trees and audit paths for storage proofs. The vectors are the
// Certificate-Transparency reference test leaves (merkle_tree_test.cc), whose roots and paths
// were recomputed independently with node:crypto (a 10-line recursive MTH/PATH).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { auditPathOfLeaves, chunkLeaves, leafCountFor, merkleRootHex, merkleRootHexAsync, merkleRootOfLeaves, proveLeaf, verifyProof } from "../../src/lib/merkle";
import { challengeIndex, rendezvousOrder } from "../../src/lib/placement";
import { fromHex, toHex } from "../../src/lib/encoding";
import { sha256HexSync } from "../../src/lib/hash";

const LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(fromHex);
const ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const PATHS: [number, number, string[]][] = [
  [0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
  [5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
  [2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]],
  [4, 5, ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
];

describe("RFC 6962 Merkle tree hash", () => {
  it("matches the CT reference roots for 1..8 leaves", () => {
    for (let n = 1; n <= 8; n++) expect(toHex(merkleRootOfLeaves(LEAVES.slice(0, n))), `n=${n}`).toBe(ROOTS[n - 1]);
  });

  it("matches reference audit paths", () => {
    for (const [m, n, path] of PATHS) expect(auditPathOfLeaves(LEAVES.slice(0, n), m).map(toHex), `${m}/${n}`).toEqual(path);
  });

  it("a one-leaf tree has an empty path; the root is the leaf hash", () => {
    expect(auditPathOfLeaves(LEAVES.slice(0, 1), 0)).toEqual([]);
    expect(verifyProof(ROOTS[0]!, 0, 1, LEAVES[0]!, [])).toBe(true);
  });

  it("chunks split into 4096-byte leaves, the last one the unpadded remainder", () => {
    const chunk = Uint8Array.from({ length: 10000 }, (_, i) => i % 251);
    const leaves = chunkLeaves(chunk);
    expect(leaves.map((l) => l.length)).toEqual([4096, 4096, 1808]);
    expect(leafCountFor(10000)).toBe(3);
    expect(leafCountFor(4096)).toBe(1);
    expect(leafCountFor(4097)).toBe(2);
    expect(merkleRootHex(chunk)).toBe("5635b73f45946809a9c450c61998cbf8b8ad92a18f9aa5c71830abb526aa664f");
  });

  it("merkleRootHexAsync (WebCrypto leaf hashes) gives the same root for every shape", async () => {
    const chunk = Uint8Array.from({ length: 10000 }, (_, i) => i % 251);
    expect(await merkleRootHexAsync(chunk)).toBe("5635b73f45946809a9c450c61998cbf8b8ad92a18f9aa5c71830abb526aa664f");
    for (const n of [0, 1, 4095, 4096, 4097, 3 * 4096, 5 * 4096 + 7, 1024 * 1024]) {
      const bytes = crypto.getRandomValues(new Uint8Array(Math.min(n, 65536)));
      const big = n > 65536 ? Uint8Array.from({ length: n }, (_, i) => bytes[i % bytes.length]! ^ (i >> 16)) : bytes.subarray(0, n);
      expect(await merkleRootHexAsync(big), `size ${n}`).toBe(merkleRootHex(big));
    }
  });
});

describe("verifyProof(root, leafIndex, leafCount, leaf, proof)", () => {
  it("accepts every leaf of every tree size 1..8 with its path", () => {
    for (let n = 1; n <= 8; n++) {
      for (let m = 0; m < n; m++) {
        const path = auditPathOfLeaves(LEAVES.slice(0, n), m);
        expect(verifyProof(ROOTS[n - 1]!, m, n, LEAVES[m]!, path), `${m}/${n}`).toBe(true);
        expect(verifyProof(fromHex(ROOTS[n - 1]!), m, n, LEAVES[m]!, path.map(toHex))).toBe(true);
      }
    }
  });

  it("rejects a wrong leaf, index, size, root, truncated or extended path, bad hex", () => {
    const [m, n, path] = PATHS[1]!;
    const root = ROOTS[n - 1]!;
    expect(verifyProof(root, m, n, LEAVES[m]!, path)).toBe(true);
    expect(verifyProof(root, m, n, LEAVES[m + 1]!, path)).toBe(false);
    expect(verifyProof(root, m - 1, n, LEAVES[m]!, path)).toBe(false);
    expect(verifyProof(root, m, n - 2, LEAVES[m]!, path)).toBe(false); // (n − 1 has the same path shape for this leaf)
    expect(verifyProof(root, m, n + 1, LEAVES[m]!, path)).toBe(false);
    expect(verifyProof(ROOTS[n - 2]!, m, n, LEAVES[m]!, path)).toBe(false);
    expect(verifyProof(root, m, n, LEAVES[m]!, path.slice(0, -1))).toBe(false);
    expect(verifyProof(root, m, n, LEAVES[m]!, [...path, path[0]!])).toBe(false);
    expect(verifyProof(root, m, n, LEAVES[m]!, ["zz", ...path.slice(1)])).toBe(false);
    expect(verifyProof(root, n, n, LEAVES[m]!, path)).toBe(false);
    expect(verifyProof(root, -1, n, LEAVES[m]!, path)).toBe(false);
    expect(verifyProof("ab", m, n, LEAVES[m]!, path)).toBe(false);
  });

  it("property: proofs of random chunks verify; any flipped leaf byte fails", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40_000 }), fc.nat(), fc.nat(), (size, seed, pick) => {
        const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
        const n = leafCountFor(size);
        const idx = pick % n;
        const root = merkleRootHex(bytes);
        const { leaf, proof } = proveLeaf(bytes, idx);
        if (!verifyProof(root, idx, n, leaf, proof)) return false;
        const bad = leaf.slice();
        bad[pick % bad.length] = bad[pick % bad.length]! ^ 1;
        return !verifyProof(root, idx, n, bad, proof);
      }),
      { numRuns: 60 },
    );
  });
});

describe("placement and challenges", () => {
  it("rendezvous order is by descending sha256(cid|node), deterministic and a permutation", () => {
    const nodes = ["node-0", "node-1", "node-2", "node-3", "node-4"];
    const cid = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    const order = rendezvousOrder(cid, nodes);
    expect([...order].sort()).toEqual(nodes);
    const weights = order.map((n) => sha256HexSync(`${cid}|${n}`));
    expect([...weights].sort().reverse()).toEqual(weights);
    // Removing a node keeps the relative order of the others (minimal disruption).
    expect(rendezvousOrder(cid, nodes.filter((n) => n !== order[0]))).toEqual(order.slice(1));
  });

  it("challenge index = uint32(sha256(beacon|node|cid)) mod leafCount", () => {
    const beacon = "00".repeat(32);
    const h = sha256HexSync(`${beacon}|node-1|bafk`);
    expect(challengeIndex(beacon, "node-1", "bafk", 7)).toBe(parseInt(h.slice(0, 8), 16) % 7);
    expect(challengeIndex(beacon, "node-1", "bafk", 1)).toBe(0);
    expect(challengeIndex(beacon, "node-1", "bafk", 1000)).not.toBe(challengeIndex("11".repeat(32), "node-1", "bafk", 1000));
  });
});
