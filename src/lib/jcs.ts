// RFC 8785 JSON Canonicalization Scheme. ECMAScript's JSON.stringify already serialises strings
// and finite numbers exactly as RFC 8785 requires; what it adds is key order (UTF-16 code
// units, which is JavaScript's default string sort) and refusing values JSON cannot carry.

// RFC 8785 takes I-JSON input (RFC 7493): strings must be well-formed Unicode.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function str(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new TypeError("JCS: string with a lone surrogate is not I-JSON");
  return JSON.stringify(s);
}

export function canonicalize(value: unknown): string {
  switch (typeof value) {
    case "string":
      return str(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("JCS: non-finite number");
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      // Array.from visits holes (as undefined, which is refused); .map would skip them and emit "[,1]".
      if (Array.isArray(value)) return "[" + Array.from(value, (v) => canonicalize(v)).join(",") + "]";
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return "{" + keys.map((k) => str(k) + ":" + canonicalize(obj[k])).join(",") + "}";
    }
    default:
      throw new TypeError(`JCS: cannot canonicalize ${typeof value}`);
  }
}

export const canonicalBytes = (value: unknown): Uint8Array => new TextEncoder().encode(canonicalize(value));
