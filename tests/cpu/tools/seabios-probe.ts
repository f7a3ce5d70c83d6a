// Scratch probe (not a test): boots the real machine with SeaBIOS and reports what the CPU sees:
// unknown opcodes, exceptions taken, unclaimed ports, SeaBIOS debug output (port 0x402), where it
// spends its time. Usage: npx tsx tests/cpu/tools/seabios-probe.ts [vm options...] [--probe-seconds N]

import { resolve } from "node:path";
import { buildMachineConfig, parseVmArgs } from "../../../scripts/vm/options.ts";
import { createMachine } from "../../../src/emulator/machine.ts";
import type { CPU } from "../../../src/emulator/cpu/cpu.ts";
import type { IOBus } from "../../../src/emulator/io-bus.ts";

const args = process.argv.slice(2);
let seconds = 20;
const i = args.indexOf("--probe-seconds");
if (i >= 0) {
  seconds = Number(args[i + 1]);
  args.splice(i, 2);
}
const root = resolve(import.meta.dirname, "../../..");
const config = buildMachineConfig(parseVmArgs(args), resolve(root, "public/bios"));
const machine = createMachine(config);
const m = machine as unknown as { cpu: CPU; io: IOBus };
const cpu = m.cpu;
let line = "";
if (!m.io.ownerOf(0x402)) {
  m.io.register(0x402, 1, { in8: () => 0xe9, out8: (_p, v) => {
    if (v === 10) { console.log("[bios] " + line); line = ""; } else line += String.fromCharCode(v);
  } }, "probe-debug");
}
machine.serial[0]?.onTransmit((b) => process.stdout.write(String.fromCharCode(b)));
machine.onDebugcon((b) => process.stderr.write(String.fromCharCode(b)));
const unclaimed = new Map<string, number>();
m.io.onUnclaimed = (port, write, size) => {
  const k = `${write ? "out" : "in"}${size * 8} 0x${port.toString(16)}`;
  unclaimed.set(k, (unclaimed.get(k) ?? 0) + 1);
};
cpu.onUnknownOpcode = (op, lin) => console.log(`unknown opcode 0x${op.toString(16)} at 0x${(lin >>> 0).toString(16)}`);
const start = performance.now();
let lastReport = start;
const hist = new Map<number, number>();
while ((performance.now() - start) / 1000 < seconds) {
  const r = machine.runSlice({ maxInstructions: 200_000 });
  const page = (((cpu.segBase[1] + cpu.eip) & ~0xff) >>> 0);
  hist.set(page, (hist.get(page) ?? 0) + 1);
  if (r.reason === "crashed" || r.reason === "powered-off") {
    console.log(`machine ${r.reason}: ${machine.stopReason}`);
    break;
  }
  if (performance.now() - lastReport > 2000) {
    lastReport = performance.now();
    const g = cpu.getRegisters();
    console.log(`t=${((lastReport - start) / 1000).toFixed(1)}s instr=${cpu.instructionCount} cs:eip=${g.cs.toString(16)}:${g.eip.toString(16)} cr0=${g.cr0.toString(16)} halted=${cpu.halted} ints=${cpu.interruptsDelivered}`);
  }
}
const secs = (performance.now() - start) / 1000;
console.log(`\n${cpu.instructionCount} instructions in ${secs.toFixed(1)} s = ${(cpu.instructionCount / secs / 1e6).toFixed(1)} M/s`);
console.log("hot code (linear, 256-byte blocks):", [...hist.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([p, n]) => `0x${p.toString(16)}:${n}`).join(" "));
console.log("unclaimed ports:", [...unclaimed.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, n]) => `${k}x${n}`).join(", "));
if (machine.vga) console.log(machine.vga.textLines().join("\n"));
