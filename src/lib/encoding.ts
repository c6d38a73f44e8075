// Byte encodings used on the wire: base64url without padding (signatures), standard base64
// (leaf bytes), lowercase hex (ids, hashes) and UTF-8.

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export const utf8 = (s: string): Uint8Array => encoder.encode(s);
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b);

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
  return out;
}

const HEX_RE = /^(?:[0-9a-f]{2})*$/;
export function fromHex(hex: string): Uint8Array {
  if (!HEX_RE.test(hex)) throw new TypeError("invalid hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
export function fromBase64(s: string): Uint8Array {
  if (!B64_RE.test(s) || s.length % 4 !== 0) throw new TypeError("invalid base64");
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// base64url by table: signatures are encoded and decoded several times per event (intake,
// every committee witness, receipts), and the btoa/atob round trip with three regex passes
// showed up in CPU profiles.
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64URL_VAL = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64URL_VAL[B64URL.charCodeAt(i)] = i;

export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[v >> 18]! + B64URL[(v >> 12) & 63]! + B64URL[(v >> 6) & 63]! + B64URL[v & 63]!;
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16;
    out += B64URL[v >> 18]! + B64URL[(v >> 12) & 63]!;
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[v >> 18]! + B64URL[(v >> 12) & 63]! + B64URL[(v >> 6) & 63]!;
  }
  return out;
}

/**
 * Strict: no padding, no standard-alphabet characters, no impossible lengths, and no stray
 * low bits in the last character (so one byte string has exactly one spelling).
 */
export function fromBase64Url(s: string): Uint8Array {
  const len = s.length;
  if (len % 4 === 1) throw new TypeError("invalid base64url");
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  const val = (k: number): number => {
    const c = s.charCodeAt(k);
    const v = c < 128 ? B64URL_VAL[c]! : -1;
    if (v < 0) throw new TypeError("invalid base64url");
    return v;
  };
  let o = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    const v = (val(k) << 18) | (val(k + 1) << 12) | (val(k + 2) << 6) | val(k + 3);
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  const rest = len - k;
  if (rest === 2) {
    const a = val(k);
    const b = val(k + 1);
    if (b & 15) throw new TypeError("non-canonical base64url");
    out[o++] = (a << 2) | (b >> 4);
  } else if (rest === 3) {
    const a = val(k);
    const b = val(k + 1);
    const c = val(k + 2);
    if (c & 3) throw new TypeError("non-canonical base64url");
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Bytes of `s` in UTF-8 without encoding it (a lone surrogate counts 3, as its U+FFFD
 * replacement). An upper bound of a string's size in any queue serialisation (JSON is UTF-8;
 * V8's format stores a string in 1 or 2 bytes a UTF-16 unit), so limits in bytes hold for
 * text in every script, not only ASCII.
 */
export function utf8ByteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 2 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}
