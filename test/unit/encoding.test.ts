import { describe, it, expect } from "vitest";
import { concatBytes, fromBase64, fromBase64Url, fromHex, fromUtf8, toBase64, toBase64Url, toHex, utf8, utf8ByteLength } from "../../src/lib/encoding";

// RFC 4648 §10 test vectors.
const RFC4648: [string, string][] = [
  ["", ""],
  ["f", "Zg=="],
  ["fo", "Zm8="],
  ["foo", "Zm9v"],
  ["foob", "Zm9vYg=="],
  ["fooba", "Zm9vYmE="],
  ["foobar", "Zm9vYmFy"],
];

describe("base64 (standard, padded)", () => {
  for (const [plain, b64] of RFC4648) {
    it(`"${plain}" ⇄ "${b64}"`, () => {
      expect(toBase64(utf8(plain))).toBe(b64);
      expect(fromUtf8(fromBase64(b64))).toBe(plain);
    });
  }

  it("uses + and / for 62 and 63", () => {
    expect(toBase64(new Uint8Array([0xfb, 0xff]))).toBe("+/8=");
    expect(Array.from(fromBase64("+/8="))).toEqual([0xfb, 0xff]);
  });

  it("handles large inputs (chunked String.fromCharCode)", () => {
    const big = new Uint8Array(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    const back = fromBase64(toBase64(big));
    expect(back.length).toBe(big.length);
    expect(toHex(back)).toBe(toHex(big));
  });

  it("rejects malformed base64", () => {
    for (const bad of ["Zg", "Zg=", "Zm9", "Z===", "Zg==Zg==", "Zm9v\n", "Zm 9v", "Zm9-", "Zm9_", "=Zm9"]) {
      expect(() => fromBase64(bad), bad).toThrow();
    }
  });
});

describe("base64url (no padding, strict)", () => {
  for (const [plain, b64] of RFC4648) {
    const url = b64.replace(/=+$/, "");
    it(`"${plain}" ⇄ "${url}"`, () => {
      expect(toBase64Url(utf8(plain))).toBe(url);
      expect(fromUtf8(fromBase64Url(url))).toBe(plain);
    });
  }

  it("uses - and _ instead of + and /", () => {
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(toBase64Url(new Uint8Array([0xfb, 0xef, 0xbe]))).toBe("----");
    expect(toBase64Url(new Uint8Array([0xff, 0xff, 0xff]))).toBe("____");
    expect(Array.from(fromBase64Url("-_8"))).toEqual([0xfb, 0xff]);
  });

  it("round-trips every length 0..70 and all byte values", async () => {
    for (let n = 0; n <= 70; n++) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (i * 97 + n) & 0xff;
      const s = toBase64Url(b);
      expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(s.length).toBe(Math.ceil((n * 4) / 3));
      expect(toHex(fromBase64Url(s))).toBe(toHex(b));
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(fromBase64Url(toBase64Url(all)))).toBe(toHex(all));
  });

  it("agrees with the standard base64 codec (alphabet swapped, padding dropped) on random bytes", () => {
    for (let n = 0; n < 300; n++) {
      const b = crypto.getRandomValues(new Uint8Array(n % 100));
      const want = toBase64(b).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      expect(toBase64Url(b)).toBe(want);
      expect(toHex(fromBase64Url(want))).toBe(toHex(b));
    }
  });

  it("a 64-byte signature is 86 characters", () => {
    expect(toBase64Url(new Uint8Array(64).fill(0xab)).length).toBe(86);
  });

  it("rejects padding", () => {
    for (const bad of ["Zg==", "Zg=", "Zm8=", "Zm9vYg==", "="]) {
      expect(() => fromBase64Url(bad), bad).toThrow(TypeError);
    }
  });

  it("rejects the standard alphabet's + and /", () => {
    expect(() => fromBase64Url("+_8")).toThrow(TypeError);
    expect(() => fromBase64Url("-/8")).toThrow(TypeError);
    expect(() => fromBase64Url("+/8")).toThrow(TypeError);
  });

  it("rejects whitespace and other characters", () => {
    for (const bad of ["Zm9v ", " Zm9v", "Zm\n9v", "Zm9v.", "Zm9v!", "Zm9vé"]) {
      expect(() => fromBase64Url(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
  });

  it("rejects non-canonical trailing bits", () => {
    // "Zg" is canonical for "f"; "Zh".."Zv" carry stray low bits in the last character.
    expect(fromUtf8(fromBase64Url("Zg"))).toBe("f");
    for (const bad of ["Zh", "Zi", "Zv", "Z_"]) expect(() => fromBase64Url(bad), bad).toThrow(TypeError);
    // "Zm8" is canonical for "fo"; "Zm9" has a stray bit.
    expect(fromUtf8(fromBase64Url("Zm8"))).toBe("fo");
    for (const bad of ["Zm9", "Zm-", "Zm_"]) expect(() => fromBase64Url(bad), bad).toThrow(TypeError);
    // Same for a 64-byte signature: the 86th char may only encode 2 significant bits.
    const sig = toBase64Url(new Uint8Array(64));
    expect(sig.endsWith("A")).toBe(true);
    expect(() => fromBase64Url(sig.slice(0, -1) + "B")).toThrow(TypeError);
  });

  it("rejects impossible lengths (length % 4 == 1)", () => {
    for (const bad of ["A", "AAAAA", "Zm9vY", "Zm9vYmFyZ"]) {
      expect(() => fromBase64Url(bad), bad).toThrow(TypeError);
    }
  });
});

describe("hex", () => {
  it("round-trips and is lowercase", () => {
    const b = Uint8Array.from({ length: 256 }, (_, i) => i);
    const h = toHex(b);
    expect(h.length).toBe(512);
    expect(h).toMatch(/^[0-9a-f]+$/);
    expect(h.slice(0, 8)).toBe("00010203");
    expect(h.slice(-4)).toBe("feff");
    expect(Array.from(fromHex(h))).toEqual(Array.from(b));
    expect(toHex(new Uint8Array([0x0a, 0xbc, 0xde, 0xf0]))).toBe("0abcdef0");
    expect(toHex(new Uint8Array(0))).toBe("");
    expect(fromHex("").length).toBe(0);
  });

  it("rejects uppercase, odd length and non-hex", () => {
    for (const bad of ["AB", "aB", "0A", "abc", "0", "0g", "zz", " 00", "00 ", "0x00", "-1"]) {
      expect(() => fromHex(bad), bad).toThrow(TypeError);
    }
  });
});

describe("utf8 and concatBytes", () => {
  it("utf8 round trip; invalid UTF-8 is rejected", () => {
    expect(Array.from(utf8("€"))).toEqual([0xe2, 0x82, 0xac]);
    expect(fromUtf8(utf8("héllo 😀"))).toBe("héllo 😀");
    expect(() => fromUtf8(new Uint8Array([0xff]))).toThrow();
    expect(() => fromUtf8(new Uint8Array([0xe2, 0x82]))).toThrow();
  });

  it("concatBytes", () => {
    expect(Array.from(concatBytes(new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])))).toEqual([1, 2, 3]);
    expect(concatBytes().length).toBe(0);
  });
});

describe("utf8ByteLength", () => {
  it("equals the encoded length for ASCII, Latin, CJK, emoji and lone surrogates", () => {
    for (const s of ["", "abc", "é", "ß€", "分散型ソーシャル", "😀x😀", "a\ud800b", "\udc00", "x\ud83d", "\u0080\u07ff\u0800\uffff"]) {
      expect(utf8ByteLength(s), JSON.stringify(s)).toBe(utf8(s).length);
    }
  });
});
