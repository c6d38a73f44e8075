// A small argv parser: positionals, `--flag value`, `--flag=value`, repeatable flags, and
// boolean switches. Unknown flags are an error (a typo must not silently do something else).

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
  switches: Set<string>;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function parseArgs(argv: readonly string[], valueFlags: ReadonlySet<string>, switchFlags: ReadonlySet<string>): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--") && a.length > 2) {
      const eq = a.indexOf("=");
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      if (switchFlags.has(name)) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`);
        out.switches.add(name);
      } else if (valueFlags.has(name)) {
        const value = eq === -1 ? argv[++i] : a.slice(eq + 1);
        if (value === undefined) throw new UsageError(`--${name} needs a value`);
        out.flags.set(name, [...(out.flags.get(name) ?? []), value]);
      } else {
        throw new UsageError(`unknown option --${name}`);
      }
    } else if (a === "-h") {
      out.switches.add("help");
    } else {
      out.positionals.push(a);
    }
  }
  return out;
}

export const flag = (p: ParsedArgs, name: string): string | undefined => p.flags.get(name)?.at(-1);
export const flagList = (p: ParsedArgs, name: string): string[] => (p.flags.get(name) ?? []).flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
