// `npm run test:diff -- [--seeds N] [--length N] [--qemu-only] [--kvm]`: the CPU differential suite.
// Every hand-written program in tests/diff/programs and N seeded random instruction streams run in
// QEMU (the reference) and in Hypertab; prints per-program results, the first mismatch with the
// instruction that caused it, and the instruction coverage.

import { generateRandomFpProgram } from "./random-fp.ts";
import { generateRandomProgram, type RandomMode } from "./random-program.ts";
import { join } from "node:path";
import { assemble, compareOutputs, diffDir, CPU_MODES, differingFields, listPrograms, MASKS, mnemonicsOf, runHypertab, runQemu } from "./diff-runner.ts";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} needs a non-negative integer`);
  return n;
}

const seeds = option("--seeds", 20);
const length = option("--length", 300);
const qemuOnly = process.argv.includes("--qemu-only");
const onlyAt = process.argv.indexOf("--only");
/** `--only a,b`: just the cases whose names start with one of these. */
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? "").split(",").filter(Boolean) : null;
const showOutput = process.argv.includes("--show");
/** `--kvm`: QEMU runs the programs on the host CPU (KVM) instead of its TCG emulation. */
const kvm = process.argv.includes("--kvm");

interface Case {
  name: string;
  source: string;
  mnemonics: Set<string>;
  stepOf(tag: string): string;
}

const dirAt = process.argv.indexOf("--dir");
/** `--dir findings` / `--dir qemu-divergent`: the programs in that folder of tests/diff instead. */
const dir = dirAt >= 0 ? join(diffDir, process.argv[dirAt + 1] ?? "") : undefined;
const cases: Case[] = listPrograms(dir).map((p) => ({
  ...p,
  mnemonics: mnemonicsOf(p.source),
  stepOf: () => "(see the program source)",
}));
let randomCases = 0;
for (let seed = 1; seed <= seeds; seed++) {
  // seeds cycle through flat 32-bit, 32-bit with paging, real mode and 16-bit protected mode
  const mode: RandomMode = (["pm16", "pm32", "pm32paging", "real16"] as const)[seed % 4]!;
  const g = generateRandomProgram(seed, length, mode);
  randomCases += g.steps.length;
  cases.push({ name: mode === "pm32" ? `random-${seed}` : `random-${mode}-${seed}`, source: g.source, mnemonics: g.mnemonics, stepOf: (tag) => g.steps[Number.parseInt(tag, 16) - 1] ?? "?" });
}

/** `--fp-seeds N`: random x87 and SSE streams (seeds 1..N each, length as --length). */
const fpSeeds = option("--fp-seeds", 4);
for (let seed = 1; seed <= fpSeeds; seed++) {
  for (const kind of ["x87", "sse"] as const) {
    const g = generateRandomFpProgram(seed, length, kind);
    randomCases += g.steps.length;
    cases.push({ name: `random-${kind}-${seed}`, source: g.source, mnemonics: g.mnemonics, stepOf: (tag) => g.steps[Number.parseInt(tag, 16) - 1] ?? "?" });
  }
}

const selected = only ? cases.filter((c) => only.some((o) => c.name.startsWith(o))) : cases;

let passed = 0;
let failed = 0;
let comparedLines = 0;
const covered = new Set<string>();
for (const c of selected) {
  const bin = assemble(c.name, c.source);
  const q = runQemu(bin, 30_000, kvm);
  if (q.error) {
    failed++;
    console.log(`FAIL ${c.name}: QEMU reference run failed: ${q.error}`);
    continue;
  }
  for (const m of c.mnemonics) covered.add(m);
  if (qemuOnly) {
    passed++;
    console.log(`ok   ${c.name}: QEMU ${q.output.split("\n").length - 1} lines`);
    continue;
  }
  for (const mode of CPU_MODES) {
    const h = await runHypertab(bin, 60, mode.options);
    if (showOutput) console.log(`--- qemu\n${q.output}--- hypertab (${mode.name})\n${h.output}---`);
    const cmp = compareOutputs(q.output, h.output);
    comparedLines += cmp.lines;
    if (cmp.equal && !h.error) {
      passed++;
      console.log(`ok   ${c.name} (${mode.name}): ${cmp.lines} state lines identical`);
    } else {
      failed++;
      const m = cmp.mismatch;
      console.log(`FAIL ${c.name} (${mode.name}): ${h.error ?? ""}`);
      if (m)
        console.log(
          `     line ${m.line} (step ${m.tag}: ${c.stepOf(m.tag)}) differs in ${differingFields(m.expected, m.actual).join(", ") || "shape"}\n` +
            `     qemu:     ${m.expected}\n     hypertab: ${m.actual}`,
        );
    }
  }
}
console.log(`\ncoverage: ${covered.size} instruction forms: ${[...covered].sort().join(" ")}`);
console.log(`programs: ${selected.length}; random instruction cases: ${randomCases}`);
console.log(`masks (tests/diff/README.md):\n${MASKS.map((m) => `  - ${m.what} [${m.where}]: ${m.reason}`).join("\n")}`);
console.log(`${passed} passed, ${failed} failed${qemuOnly ? " (QEMU side only)" : `; ${comparedLines} state lines compared`}`);
process.exit(failed === 0 ? 0 : 1);
