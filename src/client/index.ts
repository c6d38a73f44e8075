// The EchoNet client SDK (browser and Node): `new EchoNetClient({ url, identity })`.
export { EchoNetClient, DEFAULT_URL, CHUNK_MAX_BYTES, isNotAvailable } from "./client";
export type { ClientOptions, FetchLike, Submitted, WaitOptions, ReceiptVerification, UploadProgress, RetryInfo } from "./client";
export { EchoNetError, errorFromResponse } from "./errors";
export type { ProblemIssue, ClientErrorCode } from "./errors";
export { generateIdentity, exportIdentity, importIdentity, didKeyFromPublicKey, publicKeyFromDidKey } from "./identity";
export type { Identity, ExportedIdentity } from "./identity";
export { echoToUnits, unitsToEcho, UNITS_PER_ECHO } from "./units";
export { verifyReceipt, selectCommittee, quorumFor } from "../lib/committee";
export { eventIdOf, verifyEventSignature } from "../lib/events";
export { cidForBytes } from "../lib/cid";
export { verifyProof } from "../lib/merkle";
export * from "./types";
