// CPU differential tests against QEMU (issue 3's proof): hand-written instruction-family programs
// and seeded random instruction streams, each dumping registers and defined flags after every step.
// QEMU's output is the reference; Hypertab must print the identical lines.

import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { generateRandomFpProgram, type FpKind } from "./random-fp.ts";
import { generateRandomProgram, type RandomMode } from "./random-program.ts";
import { assemble, compareOutputs, CPU_MODES, differingFields, EXIT_OK, listPrograms, MASKS, mnemonicsOf, runHypertab, runQemu } from "./diff-runner.ts";

const haveTools = ["nasm", "qemu-system-i386"].every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0);
/** Random integer streams per run: seed, length, mode. 8 x 300 32-bit (2 of them with paging on) +
 *  4 x 250 real mode + 4 x 250 16-bit protected mode = 4400 random instruction cases. */
const RANDOM: { seed: number; length: number; mode: RandomMode }[] = [
  ...[1, 2, 3, 4, 5, 6].map((seed) => ({ seed, length: 300, mode: "pm32" as const })),
  ...[1, 2].map((seed) => ({ seed, length: 300, mode: "pm32paging" as const })),
  ...[1, 2, 3, 4].map((seed) => ({ seed, length: 250, mode: "real16" as const })),
  ...[1, 2, 3, 4].map((seed) => ({ seed, length: 250, mode: "pm16" as const })),
];

/** Random x87 and SSE/SSE2 streams: 3 x 300 each = 1800 more random instruction cases. */
const RANDOM_FP: { seed: number; length: number; kind: FpKind }[] = [
  ...[1, 2, 3].map((seed) => ({ seed, length: 300, kind: "x87" as const })),
  ...[1, 2, 3].map((seed) => ({ seed, length: 300, kind: "sse" as const })),
];

const programs = [
  ...listPrograms().map((p) => ({
    name: p.name, source: p.source, step: (_tag: string) => "see program source", dumps: null as number | null,
    mnemonics: mnemonicsOf(p.source), randomCases: 0,
  })),
  ...RANDOM.map(({ seed, length, mode }) => {
    const g = generateRandomProgram(seed, length, mode);
    return {
      name: mode === "pm32" ? `random-${seed}` : `random-${mode}-${seed}`, source: g.source,
      step: (tag: string) => g.steps[Number.parseInt(tag, 16) - 1] ?? "?", dumps: g.steps.length + 1,
      mnemonics: g.mnemonics, randomCases: g.steps.length,
    };
  }),
  ...RANDOM_FP.map(({ seed, length, kind }) => {
    const g = generateRandomFpProgram(seed, length, kind);
    return {
      name: `random-${kind}-${seed}`, source: g.source,
      step: (tag: string) => g.steps[Number.parseInt(tag, 16) - 1] ?? "?", dumps: null as number | null,
      mnemonics: g.mnemonics, randomCases: g.steps.length,
    };
  }),
];

/** Coverage, filled in as the comparisons pass and printed by the last test. */
const report = { programs: new Set<string>(), forms: new Set<string>(), randomCases: 0, lines: 0, comparisons: 0 };

describe.runIf(haveTools)("CPU vs QEMU", () => {
  test("the random generator is deterministic per seed", () => {
    expect(generateRandomProgram(7, 50).source).toBe(generateRandomProgram(7, 50).source);
    expect(generateRandomProgram(7, 50).source).not.toBe(generateRandomProgram(8, 50).source);
    expect(generateRandomProgram(7, 50, "real16").source).toBe(generateRandomProgram(7, 50, "real16").source);
    expect(generateRandomFpProgram(7, 50, "sse").source).toBe(generateRandomFpProgram(7, 50, "sse").source);
  });

  const qemuRuns = new Map<string, ReturnType<typeof runQemu>>();
  for (const p of programs) for (const mode of CPU_MODES) {
    test(`${p.name} (${mode.name}): Hypertab prints the same state lines as QEMU`, async () => {
      const bin = assemble(p.name, p.source);
      const qemu = qemuRuns.get(p.name) ?? runQemu(bin);
      qemuRuns.set(p.name, qemu);
      expect(qemu.error, "QEMU reference run").toBeNull();
      expect(qemu.status).toBe(EXIT_OK);
      if (p.dumps !== null) expect(qemu.output.split("\n").length - 1, "one line per DUMP in QEMU").toBe(p.dumps);
      else expect(qemu.output.split("\n").length - 1, "QEMU printed state lines (short programs print two)").toBeGreaterThanOrEqual(2);
      const ours = await runHypertab(bin, 60, mode.options);
      const cmp = compareOutputs(qemu.output, ours.output);
      const m = cmp.mismatch;
      const where = m ? `line ${m.line} (step ${m.tag}: ${p.step(m.tag)}) differs in ${differingFields(m.expected, m.actual).join(", ")}\nqemu:     ${m.expected}\nhypertab: ${m.actual}` : "";
      expect(cmp.equal, where).toBe(true);
      expect(ours.status).toBe(EXIT_OK);
      report.comparisons++;
      report.lines += cmp.lines;
      if (!report.programs.has(p.name)) {
        report.programs.add(p.name);
        report.randomCases += p.randomCases;
        for (const m of p.mnemonics) report.forms.add(m);
      }
    });
  }

  test("coverage report", () => {
    const hand = programs.filter((p) => p.randomCases === 0).length;
    console.log(
      [
        `CPU differential suite vs QEMU: ${report.comparisons} comparisons passed (${CPU_MODES.map((m) => m.name).join(" + ")} CPU modes)`,
        `  programs: ${report.programs.size} (${hand} hand-written, ${programs.length - hand} random streams)`,
        `  instruction forms: ${report.forms.size}`,
        `  random instruction cases: ${report.randomCases}`,
        `  state lines compared: ${report.lines}`,
        `  masks (README.md):`,
        ...MASKS.map((m) => `    - ${m.what} [${m.where}]: ${m.reason}`),
        `  forms: ${[...report.forms].sort().join(" ")}`,
      ].join("\n"),
    );
    expect(report.programs.size, "every program compared").toBe(programs.length);
    expect(report.randomCases).toBeGreaterThanOrEqual(4000);
  });
});
