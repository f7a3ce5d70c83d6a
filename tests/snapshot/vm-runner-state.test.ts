// `npm run vm -- --save-state F` then `--load-state F`: the second run continues the guest's count
// where the first stopped (no gap, no restart); option rules; the console's Ctrl-A keys; a damaged
// file is refused with the format's message.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { consoleKeys } from "../../scripts/vm/console-keys.ts";
import { parseVmArgs, UsageError } from "../../scripts/vm/options.ts";
import { EXIT_BAD_CONFIG, EXIT_TIMEOUT } from "../../scripts/vm/run-machine.ts";

const root = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "vm-state-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function vm(args: string[]) {
  return spawnSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "scripts/vm.ts"), ...args], { encoding: "utf8", timeout: 120_000, input: "" });
}

/** The complete lines of the ticker's output as numbers. */
const counts = (text: string) =>
  text
    .split("\n")
    .slice(0, -1)
    .map((l) => parseInt(l, 16));

describe("npm run vm --save-state / --load-state", () => {
  test("options: --load-state takes no machine options; both take a file", () => {
    expect(parseVmArgs(["--load-state", "s.snap"])).toMatchObject({ loadState: "s.snap" });
    expect(parseVmArgs(["--load-state=s.snap", "--save-state", "t.snap", "--timeout", "3"])).toMatchObject({ loadState: "s.snap", saveState: "t.snap", timeoutSeconds: 3 });
    expect(parseVmArgs(["--kernel", "k", "--save-state", "t.snap"])).toMatchObject({ kernel: "k", saveState: "t.snap" });
    expect(() => parseVmArgs(["--load-state", "s.snap", "--kernel", "k", "--mem", "64"])).toThrow(UsageError);
    expect(() => parseVmArgs(["--load-state", "s.snap", "--kernel", "k", "--mem", "64"])).toThrow("--load-state resumes the machine the file describes: drop --kernel, --mem");
    expect(() => parseVmArgs(["--save-state"])).toThrow(/--save-state needs a value/);
  });

  test("Ctrl-A s saves, Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A, other bytes go to the guest", () => {
    const log: string[] = [];
    const keys = consoleKeys({ input: (b) => log.push(`in ${[...b].join(",")}`), quit: () => log.push("quit"), saveState: () => log.push("save") });
    keys(Uint8Array.of(0x61, 0x01, 0x73, 0x62, 0x01));
    keys(Uint8Array.of(0x01, 0x01, 0x78));
    expect(log).toEqual(["in 97", "save", "in 98", "in 1", "quit"]);
  });

  test("a run saved at its timeout resumes where it stopped", () => {
    const kernel = join(work, "ticker.bin");
    execFileSync("nasm", ["-f", "bin", "-I", `${join(root, "tests/machine/asm")}/`, join(import.meta.dirname, "asm/ticker.asm"), "-o", kernel]);
    const snap = join(work, "ticker.snap");
    const first = vm(["--kernel", kernel, "--mem", "16", "--no-vga", "--timeout", "2", "--save-state", snap]);
    expect(first.status, first.stderr).toBe(EXIT_TIMEOUT);
    expect(first.stderr).toMatch(/vm: state saved to .*ticker\.snap \(\d+\.\d MiB\)/);
    expect(existsSync(snap)).toBe(true);
    const before = counts(first.stdout);
    expect(before.length).toBeGreaterThan(2);

    const second = vm(["--load-state", snap, "--timeout", "2"]);
    expect(second.status, second.stderr).toBe(EXIT_TIMEOUT);
    const all = counts(first.stdout + second.stdout);
    expect(all.length).toBeGreaterThan(before.length + 2);
    // One count, continued across the two processes: 1, 2, 3, … with no gap and no restart.
    expect(all).toEqual(all.map((_, i) => i + 1));
  });

  test("a damaged file is refused with the format's message", () => {
    const snap = join(work, "ticker.snap");
    const bad = new Uint8Array(readFileSync(snap)).subarray(0, 1000);
    writeFileSync(join(work, "bad.snap"), bad);
    const run = vm(["--load-state", join(work, "bad.snap")]);
    expect(run.status).toBe(EXIT_BAD_CONFIG);
    expect(run.stderr).toMatch(/^vm: cannot resume .*bad\.snap: snapshot file is truncated: /m);
    writeFileSync(join(work, "png.snap"), Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a));
    expect(vm(["--load-state", join(work, "png.snap")]).stderr).toContain("not a Hypertab snapshot file (it starts with 89 50 4e 47 0d 0a 1a 0a)");
  });
});
