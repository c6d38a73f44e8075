import { describe, expect, it } from "vitest";
import { checkOutboundUrl } from "../../src/lib/outbound";

describe("checkOutboundUrl", () => {
  it("accepts public absolute http(s) URLs", () => {
    for (const u of ["https://peer.example.org/v1/dht", "http://203.0.113.7:8080/rpc", "https://[2001:db8::1]/x"]) expect(checkOutboundUrl(u).ok, u).toBe(true);
  });
  it("refuses other schemes, credentials, relative and oversized URLs", () => {
    for (const u of ["ftp://example.org/", "file:///etc/passwd", "javascript:alert(1)", "/v1/dht", "https://user:pw@example.org/", "data:text/plain,x", `https://example.org/${"a".repeat(2100)}`]) {
      expect(checkOutboundUrl(u).ok, u).toBe(false);
    }
  });
  it("refuses loopback, private, link-local, metadata and multicast targets unless allowed", () => {
    const bad = [
      "http://localhost:8787/", "http://api.localhost/", "http://127.0.0.1/", "http://10.1.2.3/", "http://172.20.0.1/", "http://192.168.1.1/",
      "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/", "http://100.64.0.1/", "http://224.0.0.1/", "http://[::1]/", "http://[fe80::1]/",
      "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0x7f.0.0.1/", "http://node.internal/",
    ];
    for (const u of bad) expect(checkOutboundUrl(u).ok, u).toBe(false);
    expect(checkOutboundUrl("http://127.0.0.1:8797/", { allowPrivate: true }).ok).toBe(true);
  });
});
