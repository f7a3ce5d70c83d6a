import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createMachine } from "../src/emulator/machine.ts";
execFileSync("nasm", ["-f", "bin", "-DCHURN=1", "-I", "/work/wt/nocliff/tests/machine/asm/", "/work/wt/nocliff/bench/map-churn.asm", "-o", "/tmp/nocliff-k.bin"]);
const kernel = new Uint8Array(readFileSync("/tmp/nocliff-k.bin"));
const m = createMachine({ memoryMiB: 32, boot: { kind: "multiboot", kernel, cmdline: "" }, cards: [{ type: "serial", index: 0 }, { type: "vga" }] });
const t0 = performance.now(); let n = 0;
while (performance.now() - t0 < Number(process.argv[2] ?? 4000)) n += m.runSlice({ maxInstructions: 100_000 }).executed;
console.log("MIPS", n / (performance.now() - t0) / 1000);
