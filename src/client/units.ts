// ECHO amounts: 1 ECHO = 1,000,000 base units; the API carries base units as decimal strings.
export const UNITS_PER_ECHO = 1_000_000n;

/** "1.5" → "1500000". Throws a TypeError for anything that is not a non-negative decimal with ≤ 6 places. */
export function echoToUnits(echo: string): string {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(echo.trim());
  if (!m) throw new TypeError(`not an ECHO amount: ${JSON.stringify(echo)} (e.g. 1.5, at most 6 decimals)`);
  return (BigInt(m[1]!) * UNITS_PER_ECHO + BigInt((m[2] ?? "").padEnd(6, "0") || "0")).toString();
}

/** "1500000" → "1.5". */
export function unitsToEcho(units: string | bigint): string {
  const u = BigInt(units);
  const neg = u < 0n;
  const a = neg ? -u : u;
  const whole = a / UNITS_PER_ECHO;
  const frac = (a % UNITS_PER_ECHO).toString().padStart(6, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}
