// CPU differential tests against QEMU (issue 3's proof): hand-written instruction-family programs
// and seeded random instruction streams, each dumping registers and defined flags after every step.
// QEMU's output is the reference; Hypertab must print the identical lines.

import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { generateRandomProgram } from "./random-program.ts";
import { assemble, compareOutputs, CPU_MODES, differingFields, EXIT_OK, listPrograms, runHypertab, runQemu } from "./diff-runner.ts";

const haveTools = ["nasm", "qemu-system-i386"].every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0);
const SEEDS = [1, 2, 3, 4, 5, 6];
const LENGTH = 250;

const programs = [
  ...listPrograms().map((p) => ({ name: p.name, source: p.source, step: (_tag: string) => "see program source", dumps: null as number | null })),
  ...SEEDS.map((seed) => {
    const g = generateRandomProgram(seed, LENGTH);
    return { name: `random-${seed}`, source: g.source, step: (tag: string) => g.steps[Number.parseInt(tag, 16) - 1] ?? "?", dumps: g.steps.length + 1 };
  }),
];

describe.runIf(haveTools)("CPU vs QEMU", () => {
  test("the random generator is deterministic per seed", () => {
    expect(generateRandomProgram(7, 50).source).toBe(generateRandomProgram(7, 50).source);
    expect(generateRandomProgram(7, 50).source).not.toBe(generateRandomProgram(8, 50).source);
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
      else expect(qemu.output.split("\n").length, "QEMU printed state lines").toBeGreaterThan(5);
      const ours = await runHypertab(bin, 60, mode.options);
      const cmp = compareOutputs(qemu.output, ours.output);
      const m = cmp.mismatch;
      const where = m ? `line ${m.line} (step ${m.tag}: ${p.step(m.tag)}) differs in ${differingFields(m.expected, m.actual).join(", ")}\nqemu:     ${m.expected}\nhypertab: ${m.actual}` : "";
      expect(cmp.equal, where).toBe(true);
      expect(ours.status).toBe(EXIT_OK);
    });
  }
});
