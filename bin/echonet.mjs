#!/usr/bin/env node
// `npx echonet …`: the CLI (src/cli/run.ts, through tsx — a devDependency — so there is no
// build step) wired to Node: the key file (0600 in a 0700 directory, written atomically),
// terminal progress, the exit code.
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { register } from "tsx/esm/api";

register();
const { run } = await import("../src/cli/run.ts");

const isMissing = (e) => e?.code === "ENOENT";
const tty = process.stderr.isTTY;

/** @type {import("../src/cli/run.ts").CliIO} */
const io = {
  env: process.env,
  defaultKeysPath: join(homedir(), ".echonet", "keys.json"),
  async readText(path) {
    try {
      return await readFile(resolve(path), "utf8");
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  },
  async fileMode(path) {
    try {
      return (await stat(resolve(path))).mode & 0o777;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  },
  async writeSecret(path, text) {
    const full = resolve(path);
    await mkdir(dirname(full), { recursive: true, mode: 0o700 });
    const tmp = `${full}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, full);
  },
  readBytes: async (path) => new Uint8Array(await readFile(resolve(path))),
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  progress: tty ? (line) => process.stderr.write(line === null ? "\n" : `\r${line}`) : undefined,
};

process.exitCode = await run(process.argv.slice(2), io);
