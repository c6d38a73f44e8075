import { describe, it, expect } from "vitest";
import { canonicalize, canonicalBytes } from "../../src/lib/jcs";

/** The IEEE-754 double whose bit pattern is `hex` (RFC 8785 Appendix B lists inputs this way). */
function fromBits(hex: string): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, BigInt("0x" + hex));
  return dv.getFloat64(0);
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

describe("JCS (RFC 8785)", () => {
  it("§3.2.2 sample: numbers, string escaping, literals", () => {
    // The RFC's JSON input, verbatim (String.raw keeps its backslashes exactly as in the RFC).
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    expect(canonicalize(JSON.parse(input))).toBe(expected);
    // §3.2.4: the UTF-8 bytes of the canonical form.
    expect(toHex(canonicalBytes(JSON.parse(input)))).toBe(
      "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b333333333333333333" +
        "2e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c7530" +
        "3030665c6e4127425c225c5c5c5c5c222f227d",
    );
  });

  it("§3.2.2 string escaping, character by character", () => {
    // € $ U+000F LF A ' B " \ \ " /
    const s = "\u20ac$\u000f\nA'B\"\\\\\"/";
    expect(s.length).toBe(12);
    // Output: € and / unescaped, U+000F as lowercase \u000f, LF as \n, " and \ escaped.
    expect(canonicalize(s)).toBe('"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"');
    // Control characters: the short forms where JSON has them, else lowercase \u00xx.
    expect(canonicalize("\b\t\n\f\r")).toBe('"\\b\\t\\n\\f\\r"');
    expect(canonicalize("\u0000\u001f\u007f")).toBe('"\\u0000\\u001f\u007f"');
    // Non-ASCII is never escaped.
    expect(canonicalize("\u00f6\u20ac\ud83d\ude00")).toBe('"\u00f6\u20ac\ud83d\ude00"');
  });

  it("§3.2.3 sorts keys by UTF-16 code units", () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`;
    const out = canonicalize(JSON.parse(input));
    expect(out).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    // The order the RFC lists, as UTF-16 code units: 000d, 0031, 0080, 00f6, 20ac, d83d de00, fb33.
    // Note U+1F600 (d83d) sorts before U+FB33 although its code point is larger.
    // (Object.keys would put the integer-like key "1" first, so read the keys off the text.)
    const keys = Array.from(out.matchAll(/"((?:[^"\\]|\\.)*)":/g), (m) => JSON.parse(`"${m[1]}"`) as string);
    expect(keys.map((k) => Array.from({ length: k.length }, (_, i) => k.charCodeAt(i).toString(16).padStart(4, "0")).join(" "))).toEqual([
      "000d",
      "0031",
      "0080",
      "00f6",
      "20ac",
      "d83d de00",
      "fb33",
    ]);
  });

  it("cyberphone weird.json vector (key order, U+007F unescaped)", () => {
    const input = String.raw`{"\u20ac":"Euro Sign","1":"One","\u0080":"Control\u007f","\ud83d\ude02":"Smiley","\u00f6":"Latin Small Letter O With Diaeresis","\ufb33":"Hebrew Letter Dalet With Dagesh","</script>":"Browser Challenge"}`;
    expect(canonicalize(JSON.parse(input))).toBe(
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  describe("Appendix B number serialisation", () => {
    const samples: [string, string][] = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"], // minus zero
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["ffefffffffffffff", "-1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["c340000000000000", "-9007199254740992"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef4f", "999999999999999900000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555554", "333333333.33333325"],
      ["41b3de4355555555", "333333333.3333333"],
      ["41b3de4355555556", "333333333.3333334"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"],
    ];
    for (const [bits, want] of samples) {
      it(`${bits} → ${want}`, () => {
        expect(canonicalize(fromBits(bits))).toBe(want);
      });
    }

    it("literal spellings", () => {
      expect(canonicalize(0)).toBe("0");
      expect(canonicalize(-0)).toBe("0");
      expect(canonicalize(1e21)).toBe("1e+21");
      expect(canonicalize(1e20)).toBe("100000000000000000000");
      expect(canonicalize(1e-7)).toBe("1e-7");
      expect(canonicalize(0.000001)).toBe("0.000001");
      expect(canonicalize(5e-324)).toBe("5e-324");
      expect(canonicalize(1.7976931348623157e308)).toBe("1.7976931348623157e+308");
      expect(canonicalize(9007199254740992)).toBe("9007199254740992");
      expect(canonicalize(295147905179352830000)).toBe("295147905179352830000");
      expect(canonicalize(-1.5)).toBe("-1.5");
      expect(canonicalize(100)).toBe("100");
    });

    it("NaN and ±Infinity are rejected", () => {
      expect(() => canonicalize(fromBits("7fffffffffffffff"))).toThrow(TypeError);
      expect(() => canonicalize(fromBits("7ff0000000000000"))).toThrow(TypeError);
      expect(() => canonicalize(NaN)).toThrow(TypeError);
      expect(() => canonicalize(Infinity)).toThrow(TypeError);
      expect(() => canonicalize(-Infinity)).toThrow(TypeError);
      expect(() => canonicalize({ a: [1, NaN] })).toThrow(TypeError);
    });
  });

  it("rejects values JSON cannot carry", () => {
    expect(() => canonicalize(undefined)).toThrow(TypeError);
    expect(() => canonicalize(() => 1)).toThrow(TypeError);
    expect(() => canonicalize(10n)).toThrow(TypeError);
    expect(() => canonicalize(Symbol("x"))).toThrow(TypeError);
    expect(() => canonicalize([1, undefined])).toThrow(TypeError);
    expect(() => canonicalize({ a: { b: 1n } })).toThrow(TypeError);
    expect(() => canonicalize({ f() {} })).toThrow(TypeError);
  });

  it("rejects sparse arrays instead of emitting invalid JSON", () => {
    const sparse = [, 1] as unknown[];
    expect(() => canonicalize(sparse)).toThrow(TypeError);
    expect(() => canonicalize(new Array(2))).toThrow(TypeError);
  });

  it("omits undefined object members (like JSON.stringify)", () => {
    expect(canonicalize({ b: 1, a: undefined, c: null })).toBe('{"b":1,"c":null}');
    expect(canonicalize({ a: undefined })).toBe("{}");
  });

  it("nested arrays and objects, sorted at every level, no whitespace", () => {
    const v = { z: [3, { y: true, x: [[], {}] }, "s"], a: { c: { e: 1, d: 2 }, b: [] }, m: null };
    expect(canonicalize(v)).toBe('{"a":{"b":[],"c":{"d":2,"e":1}},"m":null,"z":[3,{"x":[[],{}],"y":true},"s"]}');
    // Arrays keep their order.
    expect(canonicalize([3, 1, 2])).toBe("[3,1,2]");
    expect(canonicalize([])).toBe("[]");
    expect(canonicalize({})).toBe("{}");
  });

  it("is independent of insertion order and idempotent", () => {
    const a = { b: 1, a: 2, c: { y: 1, x: 2 } };
    const b = { c: { x: 2, y: 1 }, a: 2, b: 1 };
    expect(canonicalize(a)).toBe(canonicalize(b));
    expect(canonicalize(JSON.parse(canonicalize(a)))).toBe(canonicalize(a));
  });

  it("top-level primitives", () => {
    expect(canonicalize(null)).toBe("null");
    expect(canonicalize(true)).toBe("true");
    expect(canonicalize(false)).toBe("false");
    expect(canonicalize("")).toBe('""');
  });

  it("canonicalBytes is the UTF-8 encoding", () => {
    expect(Array.from(canonicalBytes({ "\u20ac": "\u00f6" }))).toEqual([0x7b, 0x22, 0xe2, 0x82, 0xac, 0x22, 0x3a, 0x22, 0xc3, 0xb6, 0x22, 0x7d]);
  });
});

describe("I-JSON strings", () => {
  it("refuses lone surrogates in values and keys, accepts proper pairs", () => {
    expect(() => canonicalize("\ud800")).toThrow(TypeError);
    expect(() => canonicalize("a\udc00b")).toThrow(TypeError);
    expect(() => canonicalize({ ["\ud83d"]: 1 })).toThrow(TypeError);
    expect(canonicalize("\ud83d\ude00")).toBe('"\u{1F600}"');
  });
});
