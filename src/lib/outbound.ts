// Outbound address validation: the only gate through which a Worker may call a URL it did
// not write itself (DHT contact `addr`, any future webhook). Absolute http(s) only, no
// credentials, no loopback / private / link-local / multicast targets unless the caller
// explicitly allows private addresses (local development). Pure; see test/unit/outbound.test.ts.
// test/api/security.test.ts fails if a server-side `fetch(` appears in a file that does not
// import this module.

export type OutboundCheck = { ok: true; url: URL } | { ok: false; reason: string };

const MAX_URL = 2048;

function ipv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function privateV4([a, b]: number[]): boolean {
  return (
    a === 0 || a === 10 || a === 127 || a! >= 224 ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b! >= 64 && b! <= 127) ||
    (a === 198 && (b === 18 || b === 19))
  );
}

function privateV6(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "::" || h === "::1") return true;
  if (/^f[cd]/.test(h) || /^fe[89ab]/.test(h) || /^ff/.test(h)) return true; // ULA, link-local, multicast
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped) {
    const v4 = ipv4(mapped[1]!);
    return v4 === null || privateV4(v4);
  }
  if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(h)) return true; // mapped, hex form: refuse
  return false;
}

export function checkOutboundUrl(raw: string, opts: { allowPrivate?: boolean } = {}): OutboundCheck {
  if (raw.length > MAX_URL) return { ok: false, reason: "url too long" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "not an absolute URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, reason: "only http(s) URLs" };
  if (url.username || url.password) return { ok: false, reason: "credentials in URL" };
  const host = url.hostname.toLowerCase();
  if (!host) return { ok: false, reason: "no host" };
  if (!opts.allowPrivate) {
    if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal")) return { ok: false, reason: "local host name" };
    const v4 = ipv4(host);
    if (v4 && privateV4(v4)) return { ok: false, reason: "private or reserved IPv4 address" };
    if (host.startsWith("[") && privateV6(host)) return { ok: false, reason: "private or reserved IPv6 address" };
  }
  return { ok: true, url };
}
