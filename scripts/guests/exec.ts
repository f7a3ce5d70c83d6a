// Small synchronous process helpers for the build scripts (never used by src/).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

export class CommandError extends Error {
  override name = "CommandError";
  constructor(
    message: string,
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this many ms. */
  timeoutMs?: number;
}

/** Runs a command, returns its stdout; throws CommandError (with stderr) on a non-zero exit. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): string {
  const result = spawnSync(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new CommandError(`${cmd} could not run: ${result.error.message}`, null, "");
  if (result.status !== 0) {
    const stderr = (result.stderr ?? "").trim();
    throw new CommandError(`${cmd} ${args.join(" ")} failed (exit ${result.status}): ${stderr.split("\n").slice(-4).join(" | ")}`, result.status, stderr);
  }
  return result.stdout ?? "";
}

/** Whether an executable is on PATH. */
export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function sha256File(path: string): string | null {
  if (!existsSync(path)) return null;
  return sha256(readFileSync(path));
}

export const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;
