// `npm run bench`: boots the default Linux guest (direct kernel boot: same SeaBIOS, kernel,
// initramfs, RAM and command line) to its shell prompt with v86 and with Hypertab, alternating
// runs in fresh processes, then prints medians and the Hypertab/v86 ratio and writes
// bench/results.json. A busybox shell loop after the prompt gives a CPU-bound comparison. At the
// prompt each run also measures a snapshot (bench/snapshot.ts) or, for v86, its save_state().
//
// Options: --runs N (default 3 per engine), --timeout S (per boot, default 600), --loop-runs N
// (runs per engine that also time the shell loop, default 1; 0 skips it), --only v86|hypertab.
// --browser runs the browser benchmark instead (bench/browser.ts).

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { failedBootRun, SHELL_LOOP, type BootRunResult, type BootRunSpec, type Engine } from "./guest-boot.ts";
import { median } from "./medians.ts";
import { summarizeSnapshots } from "./snapshot.ts";

const root = resolve(import.meta.dirname, "..");
const tsxCli = join(root, "node_modules/tsx/dist/cli.mjs");

interface Args {
  runs: number;
  timeoutSeconds: number;
  loopRuns: number;
  only: Engine | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 3, timeoutSeconds: 600, loopRuns: 1, only: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (v: string, min: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got "${v}"`);
      return n;
    };
    if (flag === "--runs") args.runs = int(value(), 1);
    else if (flag === "--timeout") args.timeoutSeconds = int(value(), 1);
    else if (flag === "--loop-runs") args.loopRuns = int(value(), 0);
    else if (flag === "--only") {
      const v = value();
      if (v !== "v86" && v !== "hypertab") throw new Error(`--only must be v86 or hypertab, got "${v}"`);
      args.only = v;
    } else throw new Error(`unknown option ${flag}`);
  }
  return args;
}

interface ManifestLike {
  firmware: { bios: string; vgaBios: string };
  guests: Record<string, { memoryMiB: number; banner?: string; prompt?: string; boot: { kind: string; kernel?: string; initrd?: string; cmdline?: string } }>;
}

function guestSpec(): Omit<BootRunSpec, "engine" | "timeoutSeconds" | "loop" | "loopTimeoutSeconds"> {
  const manifestPath = join(root, "public/guests/manifest.json");
  if (!existsSync(manifestPath)) throw new Error("public/guests/manifest.json is missing: run npm run guests");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ManifestLike;
  const linux = manifest.guests.linux;
  if (!linux || linux.boot.kind !== "linux" || !linux.boot.kernel || !linux.boot.initrd) throw new Error("manifest has no direct-boot linux guest");
  const pub = (p: string) => join(root, "public", p);
  return {
    bios: pub(manifest.firmware.bios),
    vgaBios: pub(manifest.firmware.vgaBios),
    kernel: pub(linux.boot.kernel),
    initrd: pub(linux.boot.initrd),
    cmdline: linux.boot.cmdline ?? "",
    memoryMiB: linux.memoryMiB,
    banner: linux.banner ?? "Hypertab Linux guest ready",
    prompt: linux.prompt ?? "hypertab# ",
  };
}

/** bench/guest-boot.ts bundled into plain JavaScript, as the browser runs it: under tsx the child
 *  would carry the TypeScript loader (about 45 MiB of RSS) into the RSS-minus-guest-RAM figure. */
async function bundleGuestBoot(): Promise<string> {
  const outfile = join(root, ".cache/bench/guest-boot.mjs");
  mkdirSync(join(root, ".cache/bench"), { recursive: true });
  await build({
    entryPoints: [join(root, "bench/guest-boot.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external", // v86 stays a package (it finds its wasm next to itself)
    define: { "import.meta.dirname": JSON.stringify(join(root, "bench")) },
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

/** Node options of every boot process, both engines alike: the ones `npm run vm` runs with
 *  (package.json). A 2 MiB semi-space: the emulators keep few short-lived objects, and V8's default
 *  young generation (growing to 16 MiB per semi-space) only holds garbage that counts in the RSS. */
export const NODE_OPTIONS_OF_RUNS = ["--max-semi-space-size=2"];

/** Runs one boot in a fresh Node process (so runs share no JIT state or heap). */
function runChild(script: string, spec: BootRunSpec): Promise<BootRunResult> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [...NODE_OPTIONS_OF_RUNS, script, JSON.stringify(spec)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const hardLimit = setTimeout(() => child.kill("SIGKILL"), (spec.timeoutSeconds + spec.loopTimeoutSeconds + 60) * 1000);
    child.on("exit", (code, signal) => {
      clearTimeout(hardLimit);
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (line) return resolveRun(JSON.parse(line.slice(7)) as BootRunResult);
      const why = `benchmark process ended (${signal ?? code}) without a result: ${err.trim().split("\n").slice(-3).join(" | ")}`;
      resolveRun(failedBootRun(spec.engine, why, { overheadMiB: 0, rssMiB: 0, memory: "" }));
    });
  });
}

const fmt = (s: number | null, unit = " s") => (s === null ? "—" : `${s.toFixed(2)}${unit}`);
const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? Math.round((a / b) * 100) / 100 : null);

/** bench/cpu-loop.ts (the CPU engineer's) when present: its stdout, and its last JSON line if any. */
function runCpuLoop(): Promise<{ output: string; json: unknown } | null> {
  const file = join(root, "bench/cpu-loop.ts");
  if (!existsSync(file)) return Promise.resolve(null);
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [tsxCli, file], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    const limit = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.on("exit", () => {
      clearTimeout(limit);
      let json: unknown = null;
      for (const line of out.trim().split("\n").reverse()) {
        try {
          json = JSON.parse(line);
          break;
        } catch {
          /* not JSON */
        }
      }
      resolveRun({ output: out, json });
    });
  });
}

async function main(): Promise<void> {
  if (process.argv.includes("--browser")) {
    const { runBrowserBench } = await import("./browser.ts");
    return runBrowserBench(process.argv.slice(2));
  }
  const args = parseArgs(process.argv.slice(2));
  const guest = guestSpec();
  const engines: Engine[] = args.only ? [args.only] : ["v86", "hypertab"];
  console.log(`[bench] Linux guest, ${guest.memoryMiB} MiB, cmdline "${guest.cmdline}"; ${args.runs} run(s) per engine, alternating ${engines.join("/")}`);
  console.log(`[bench] host: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; boots run as node ${NODE_OPTIONS_OF_RUNS.join(" ")}`);

  const script = await bundleGuestBoot();
  const results: BootRunResult[] = [];
  const hypertabGaveUp: { reason: string } = { reason: "" };
  for (let run = 0; run < args.runs; run++) {
    for (const engine of engines) {
      if (engine === "hypertab" && hypertabGaveUp.reason) continue;
      const loop = run < args.loopRuns ? SHELL_LOOP : "";
      const spec: BootRunSpec = { ...guest, engine, timeoutSeconds: args.timeoutSeconds, loop, loopTimeoutSeconds: loop ? args.timeoutSeconds : 0 };
      const r = await runChild(script, spec);
      results.push(r);
      console.log(
        `[bench] ${engine.padEnd(8)} run ${run + 1}: banner ${fmt(r.bannerSeconds)}, prompt ${fmt(r.promptSeconds)}` +
          (loop ? `, shell loop ${fmt(r.loopSeconds)} (${r.loopMips ?? "—"} MIPS)` : "") +
          `, RSS ${r.rssMiB} MiB (RSS-guest RAM ${r.overheadMiB} MiB; ${r.memory})${r.error ? ` — ${r.error}` : ""}` +
          (r.snapshot ? `; snapshot pause ${r.snapshot.pauseMs.toFixed(0)} ms, stored ${r.snapshot.storedMs.toFixed(0)} ms, restore ${r.snapshot.restoreMs.toFixed(0)} ms, ${(r.snapshot.storedBytes / 2 ** 20).toFixed(1)} MiB` : "") +
          (r.v86SaveState ? `; save_state ${r.v86SaveState.ms.toFixed(0)} ms, ${(r.v86SaveState.bytes / 2 ** 20).toFixed(1)} MiB` : ""),
      );
      if (engine === "hypertab" && r.promptSeconds === null) {
        hypertabGaveUp.reason = r.error ?? "did not reach the prompt";
        console.log(`[bench] Hypertab cannot boot the Linux guest to its prompt yet (${hypertabGaveUp.reason}); measuring v86 only from here.`);
      }
    }
  }

  const summarize = (engine: Engine) => {
    const rs = results.filter((r) => r.engine === engine);
    return {
      runs: rs.length,
      reachedPrompt: rs.filter((r) => r.promptSeconds !== null).length,
      medianBannerSeconds: median(rs.map((r) => r.bannerSeconds)),
      medianPromptSeconds: median(rs.map((r) => r.promptSeconds)),
      medianLoopSeconds: median(rs.map((r) => r.loopSeconds)),
      medianLoopMips: median(rs.map((r) => r.loopMips)),
      medianOverheadMiB: median(rs.map((r) => r.overheadMiB)),
      medianRssMiB: median(rs.map((r) => r.rssMiB)),
    };
  };
  const v86 = summarize("v86");
  const hypertab = summarize("hypertab");
  const ratios = {
    banner: ratio(hypertab.medianBannerSeconds, v86.medianBannerSeconds),
    prompt: ratio(hypertab.medianPromptSeconds, v86.medianPromptSeconds),
    shellLoop: ratio(hypertab.medianLoopSeconds, v86.medianLoopSeconds),
  };

  const cpuLoop = await runCpuLoop();

  console.log("\n[bench] medians (seconds)          banner    prompt    shell loop   RSS-guest");
  for (const [name, s] of [["v86", v86], ["Hypertab", hypertab]] as const)
    console.log(
      `[bench]   ${name.padEnd(28)} ${fmt(s.medianBannerSeconds, "").padStart(8)}  ${fmt(s.medianPromptSeconds, "").padStart(8)}  ${fmt(s.medianLoopSeconds, "").padStart(11)}  ${fmt(s.medianOverheadMiB, " MiB").padStart(10)}`,
    );
  if (hypertab.reachedPrompt === 0) console.log(`[bench] Hypertab: cannot boot the Linux guest to its prompt yet — ${hypertabGaveUp.reason || "not measured"}`);
  console.log(`[bench] shell loop (CPU-bound): Hypertab ${hypertab.medianLoopMips ?? "—"} MIPS, v86 ${v86.medianLoopMips ?? "—"} MIPS; guest-instruction rate ratio Hypertab/v86 ${ratio(hypertab.medianLoopMips, v86.medianLoopMips) ?? "—"}`);
  console.log(`[bench] ratio Hypertab/v86: banner ${ratios.banner ?? "—"}, prompt ${ratios.prompt ?? "—"}, shell loop ${ratios.shellLoop ?? "—"} (lower is better for Hypertab)`);

  const snapshot = summarizeSnapshots(results);
  for (const line of snapshot.lines) console.log(`[bench] ${line}`);

  const report = {
    date: new Date().toISOString(),
    host: { node: process.version, nodeOptions: NODE_OPTIONS_OF_RUNS, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, loadAverageAtEnd: loadavg() },
    guest: { name: "linux", memoryMiB: guest.memoryMiB, cmdline: guest.cmdline, banner: guest.banner, prompt: guest.prompt, shellLoop: SHELL_LOOP },
    options: args,
    summary: { v86, hypertab, ratioHypertabOverV86: ratios, snapshot: snapshot.figures, hypertabStatus: hypertab.reachedPrompt > 0 ? "boots" : hypertabGaveUp.reason || "not measured" },
    runs: results,
    cpuLoop,
  };
  // The browser benchmark's results (bench/browser.ts) stay in the file.
  const resultsPath = join(root, "bench/results.json");
  let browser: unknown;
  try {
    browser = (JSON.parse(readFileSync(resultsPath, "utf8")) as { browser?: unknown }).browser;
  } catch {
    browser = undefined;
  }
  writeFileSync(resultsPath, JSON.stringify({ ...report, browser }, null, 2) + "\n");
  console.log("[bench] wrote bench/results.json");
}

try {
  await main();
} catch (e) {
  console.error(`[bench] error: ${(e as Error).message}`);
  process.exit(1);
}
