// The undistributed Proof-of-Engagement reward pool is a ledger pseudo-account: its
// `escrowed` field holds ad revenue that no epoch has claimed yet (and epochs' rollover).
// Ad settlements (sys.ads.settle) credit it; an epoch close (sys.poe.close) claims it. It is
// part of supply.escrowed, so `minted − burned = circulating + escrowed + inFlight` holds.
export const POE_POOL = "echonet:poe-pool";
