// `npm test`: everything, in order — system tools, guest images, typecheck, unit + Node integration
// tests, browser e2e tests — ending with one "N passed, N failed" line (non-zero exit on failure).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const resultsDir = join(root, ".cache", "test-results");

interface Tool {
  /** Command looked up on PATH (or an absolute path). */
  command: string;
  /** Debian package that provides it. */
  pkg: string;
  why: string;
}

const TOOLS: Tool[] = [
  { command: "/usr/bin/chromium", pkg: "chromium", why: "browser e2e tests" },
  { command: "qemu-system-i386", pkg: "qemu-system-x86", why: "QEMU reference runs (guest checks, CPU differential tests)" },
  { command: "nasm", pkg: "nasm", why: "assembling CPU test programs" },
  { command: "objdump", pkg: "binutils", why: "the disassembler's reference (tests/cpu/disassembler.test.ts)" },
  { command: "ld", pkg: "binutils", why: "linking the GDB stub's ELF test kernel (tests/debug/)" },
  { command: "gdb", pkg: "gdb", why: "the GDB stub's acceptance test (tests/debug/gdb-stub.test.ts)" },
  { command: "tcpdump", pkg: "tcpdump", why: "reading the virtual switch's pcap captures (tests/net/pcap-capture.test.ts)" },
  { command: "cpio", pkg: "cpio", why: "checking the initramfs with an independent reader" },
  { command: "xorriso", pkg: "xorriso", why: "building the Linux CD image" },
  { command: "dpkg-deb", pkg: "dpkg", why: "unpacking Debian packages" },
  { command: "apt-get", pkg: "apt", why: "downloading Debian packages" },
];

const has = (command: string) =>
  command.startsWith("/") ? existsSync(command) : spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

function sh(cmd: string, args: string[]): boolean {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  return spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
}

/** Makes sure the system tools exist (installing them as root), and the i386 apt index too. */
function ensureSystem(): string | null {
  const missing = TOOLS.filter((t) => !has(t.command));
  const foreign = spawnSync("dpkg", ["--print-foreign-architectures"], { encoding: "utf8" }).stdout ?? "";
  const needI386 = !foreign.split(/\s+/).includes("i386");
  if (missing.length === 0 && !needI386) return null;
  const what = [...missing.map((t) => `${t.pkg} (${t.why})`), ...(needI386 ? ["the i386 architecture in apt (Debian i386 guest packages)"] : [])];
  if (!isRoot()) {
    const cmds = [
      ...(needI386 ? ["sudo dpkg --add-architecture i386"] : []),
      "sudo apt-get update",
      ...(missing.length ? [`sudo apt-get install -y ${missing.map((t) => t.pkg).join(" ")}`] : []),
    ];
    return `missing: ${what.join(", ")}.\nInstall with:\n  ${cmds.join("\n  ")}`;
  }
  console.log(`[test] installing: ${what.join(", ")}`);
  if (needI386 && !sh("dpkg", ["--add-architecture", "i386"])) return "dpkg --add-architecture i386 failed";
  if (!sh("apt-get", ["-q", "update"])) return "apt-get update failed";
  if (missing.length && !sh("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing.map((t) => t.pkg)]))
    return `apt-get install ${missing.map((t) => t.pkg).join(" ")} failed`;
  const still = TOOLS.filter((t) => !has(t.command));
  return still.length ? `still missing after apt-get install: ${still.map((t) => t.command).join(", ")}` : null;
}

function runStep(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolveStep) => {
    console.log(`\n[test] $ ${[cmd, ...args].map((a) => a.replace(root + "/", "")).join(" ")}`);
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit" });
    child.on("error", (e) => {
      console.error(`[test] ${cmd}: ${e.message}`);
      resolveStep(127);
    });
    child.on("exit", (code, signal) => resolveStep(code ?? (signal ? 128 : 1)));
  });
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  testResults?: { name: string; status: string; message?: string; assertionResults?: { status: string }[] }[];
}

async function vitest(label: string, configArgs: string[]): Promise<{ passed: number; failed: number }> {
  const out = join(resultsDir, `${label}.json`);
  rmSync(out, { force: true });
  const code = await runStep(join(root, "node_modules/.bin/vitest"), [
    "run",
    ...configArgs,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${out}`,
  ]);
  if (!existsSync(out)) return { passed: 0, failed: 1 };
  const json = JSON.parse(readFileSync(out, "utf8")) as VitestJson;
  // A file that fails to load (or fails outside any test) has no failed test: count it once.
  const brokenFiles = (json.testResults ?? []).filter(
    (f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed"),
  );
  for (const f of brokenFiles) console.error(`[test] file failed outside its tests: ${f.name.replace(root + "/", "")}: ${(f.message ?? "").split("\n")[0]}`);
  const failed = json.numFailedTests + brokenFiles.length;
  return { passed: json.numPassedTests, failed: code !== 0 && failed === 0 ? 1 : failed };
}

async function main(): Promise<number> {
  const started = Date.now();
  mkdirSync(resultsDir, { recursive: true });
  let passed = 0;
  let failed = 0;
  const step = (ok: boolean, name: string) => {
    if (ok) passed++;
    else {
      failed++;
      console.error(`[test] FAILED: ${name}`);
    }
  };

  const systemProblem = ensureSystem();
  if (systemProblem) {
    console.error(`[test] ${systemProblem}`);
    console.log("0 passed, 1 failed");
    return 1;
  }
  const tsx = join(root, "node_modules/tsx/dist/cli.mjs");
  step((await runStep(process.execPath, [tsx, join(root, "scripts/guests.ts")])) === 0, "guest images (npm run guests)");
  step((await runStep(join(root, "node_modules/.bin/tsc"), ["-b"])) === 0, "typecheck (every layer: tsc -b)");
  const unit = await vitest("unit", []);
  passed += unit.passed;
  failed += unit.failed;
  const e2e = await vitest("e2e", ["-c", "vitest.e2e.config.ts"]);
  passed += e2e.passed;
  failed += e2e.failed;

  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`\n[test] unit+integration: ${unit.passed} passed, ${unit.failed} failed; e2e: ${e2e.passed} passed, ${e2e.failed} failed; ${minutes} min`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exit(await main());
