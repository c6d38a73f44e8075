// RFC 8785 JSON Canonicalization Scheme. ECMAScript's JSON.stringify already serialises strings
// and finite numbers exactly as RFC 8785 requires; what it adds is key order (UTF-16 code
// units, which is JavaScript's default string sort) and refusing values JSON cannot carry.

export function canonicalize(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("JCS: non-finite number");
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return "[" + value.map(canonicalize).join(",") + "]";
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalize(obj[k])).join(",") + "}";
    }
    default:
      throw new TypeError(`JCS: cannot canonicalize ${typeof value}`);
  }
}

export const canonicalBytes = (value: unknown): Uint8Array => new TextEncoder().encode(canonicalize(value));
