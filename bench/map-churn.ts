// Memory-map churn benchmark: the same CPU-bound guest loop (bench/map-churn.asm) with and without
// memory-map changes between rounds (A20, PAM, a PCI BAR move, the VGA window), on a whole machine,
// three alternating runs each. Prints both MIPS (guest instructions per CPU-second), their medians
// and spread, the ratio plain/churn (issue 13 asks for at most 2), and a JSON line last.
// Usage: npx tsx bench/map-churn.ts [seconds per run] [--runs N] [--no-jit]

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMachine } from "../src/emulator/machine.ts";
import { median, spread } from "./medians.ts";

const seconds = Number(process.argv.find((a) => /^\d+(\.\d+)?$/.test(a)) ?? 2);
const runsAt = process.argv.indexOf("--runs");
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
const jit = !process.argv.includes("--no-jit");
const ROUNDS = 0x8000;

function assemble(churn: boolean): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "bench-churn-"));
  try {
    const out = join(dir, "k.bin");
    const include = join(import.meta.dirname, "../tests/machine/asm/");
    execFileSync("nasm", ["-f", "bin", `-DCHURN=${churn ? 1 : 0}`, "-I", include, join(import.meta.dirname, "map-churn.asm"), "-o", out]);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Run {
  mips: number;
  /** Memory-map change rounds per CPU-second (4 changes each when churning). */
  roundsPerSecond: number;
}

function measure(kernel: Uint8Array): Run {
  const m = createMachine(
    { memoryMiB: 32, boot: { kind: "multiboot", kernel, cmdline: "" }, cards: [{ type: "serial", index: 0 }, { type: "vga" }] },
    { jit },
  );
  const ram32 = m.cpu!.memory.ram32;
  const slice = () => {
    const r = m.runSlice({ maxInstructions: 1_000_000 });
    if (m.state === "crashed" || m.state === "powered-off") throw new Error(`map-churn guest stopped: ${m.stopReason}`);
    return r.executed;
  };
  for (let i = 0; i < 10; i++) slice(); // warm-up: code compiled, V8 optimized
  const rounds0 = ram32[ROUNDS >>> 2];
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) n += slice();
  const u = process.cpuUsage(u0);
  const cpuSeconds = (u.user + u.system) / 1e6;
  return { mips: n / cpuSeconds / 1e6, roundsPerSecond: (ram32[ROUNDS >>> 2] - rounds0) / cpuSeconds };
}

const kernels = { plain: assemble(false), churn: assemble(true) };
const results: Record<"plain" | "churn", Run[]> = { plain: [], churn: [] };
for (let r = 0; r < runs; r++) {
  for (const kind of ["plain", "churn"] as const) {
    const run = measure(kernels[kind]);
    results[kind].push(run);
    console.log(`map-churn run ${r + 1} ${kind.padEnd(5)}: ${run.mips.toFixed(1)} MIPS, ${Math.round(run.roundsPerSecond)} rounds/s`);
  }
}
const summary = (kind: "plain" | "churn") => {
  const mips = results[kind].map((x) => x.mips);
  const s = spread(mips);
  return { medianMips: round(median(mips)!), spreadMips: s ? s.map(round) : null, medianRoundsPerSecond: Math.round(median(results[kind].map((x) => x.roundsPerSecond))!) };
};
function round(x: number): number {
  return Math.round(x * 10) / 10;
}
const plain = summary("plain");
const churn = summary("churn");
const ratio = Math.round((plain.medianMips / churn.medianMips) * 100) / 100;
console.log(
  `map-churn${jit ? "" : " (interpreter)"}: plain ${plain.medianMips} MIPS (${plain.spreadMips?.join("–")}), ` +
    `with map changes ${churn.medianMips} MIPS (${churn.spreadMips?.join("–")}; ${churn.medianRoundsPerSecond} rounds of 4 changes/s); ` +
    `ratio plain/churn ${ratio} (target ≤ 2)`,
);
console.log(JSON.stringify({ mapChurn: { jit, secondsPerRun: seconds, runs, plain, churn, ratioPlainOverChurn: ratio } }));
