// Boots the default Linux guest directly (as the benchmark does) and prints, once a second, the
// guest's speed (million instructions per wall second) and where it spends its time: EIP samples
// mapped to kernel symbols through the Debian package's System.map. A tool for finding slow boot
// phases, not a test (the kernel runs with nokaslr so that System.map applies; PROBE_APPEND
// overrides the extra command-line words):  npx tsx tests/cpu/tools/linux-boot-probe.ts [seconds] [System.map]

import { readFileSync, readdirSync, existsSync } from "node:fs";
import { resolve } from "node:path";
import { createMachine } from "../../../src/emulator/machine.ts";

const root = resolve(import.meta.dirname, "../../..");
const seconds = Number(process.argv[2] ?? 400);
const mapPath = process.argv[3] ?? findSystemMap();
const manifest = JSON.parse(readFileSync(resolve(root, "public/guests/manifest.json"), "utf8"));
const linux = manifest.guests.linux;
const file = (p: string) => new Uint8Array(readFileSync(resolve(root, "public", p)));
const boot = linux.boot;

function findSystemMap(): string | undefined {
  const debs = resolve(root, ".cache/debs");
  if (!existsSync(debs)) return undefined;
  for (const d of readdirSync(debs)) {
    const dir = resolve(debs, d, "boot");
    if (d.startsWith("linux-image") && existsSync(dir)) {
      const f = readdirSync(dir).find((n) => n.startsWith("System.map"));
      if (f) return resolve(dir, f);
    }
  }
  return undefined;
}

const symAddr: number[] = [];
const symName: string[] = [];
if (mapPath) {
  for (const line of readFileSync(mapPath, "utf8").split("\n")) {
    const [a, t, n] = line.split(" ");
    if (!n || !/[tTwW]/.test(t!)) continue;
    symAddr.push(parseInt(a!, 16));
    symName.push(n);
  }
}
function symbol(eip: number): string {
  let lo = 0, hi = symAddr.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (symAddr[mid]! <= eip) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best < 0 || eip - symAddr[best]! > 0x10000 ? `0x${eip.toString(16)}` : symName[best]!;
}

const m = createMachine({
  memoryMiB: linux.memoryMiB,
  bios: new Uint8Array(readFileSync(resolve(root, "public/bios/bios.bin"))),
  vgaBios: new Uint8Array(readFileSync(resolve(root, "public/bios/vgabios-stdvga.bin"))),
  boot: { kind: "linux", kernel: file(boot.kernel), initrd: file(boot.initrd), cmdline: `${boot.cmdline} ${process.env.PROBE_APPEND ?? "nokaslr"}`.trim() },
  cards: [{ type: "serial", index: 0 }, { type: "vga" }, { type: "ps2" }, { type: "debug-exit" }],
}, { jit: process.env.PROBE_JIT !== "0" }); // PROBE_JIT=0: pure interpreter
const t0 = performance.now();
const now = () => ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
let line = "";
let prompted = false;
m.serial[0]!.onTransmit((b) => {
  if (b === 10) {
    console.log(`${now()} | ${line}`);
    line = "";
  } else if (b !== 13) line += String.fromCharCode(b);
  if (!prompted && line.endsWith("hypertab# ")) {
    prompted = true;
    console.log(`${now()} | ${line}   <- prompt`);
    for (const c of "poweroff -f\n") m.serial[0]!.receive(c.charCodeAt(0));
  }
});
const samples = new Map<string, number>();
let lastReport = performance.now();
// CPU time too: on a shared host wall-clock MIPS say more about the neighbours than about us.
let lastCpu = process.cpuUsage();
let lastInstr = 0;
let sampleCountdown = 0;
while ((performance.now() - t0) / 1000 < seconds && m.state !== "powered-off" && m.state !== "crashed") {
  m.runSlice({ maxInstructions: 200_000 });
  if (--sampleCountdown <= 0) {
    sampleCountdown = 5;
    const s = symbol(m.cpu.eip >>> 0);
    samples.set(s, (samples.get(s) ?? 0) + 1);
  }
  const t = performance.now();
  if (t - lastReport >= 1000) {
    const instr = m.stats().instructions;
    const top = [...samples.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k}:${v}`).join(" ");
    const cpu = process.cpuUsage(lastCpu);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(`${now()} # ${((instr - lastInstr) / (t - lastReport) / 1000).toFixed(1)} MIPS (${((instr - lastInstr) / Math.max(1, cpuMs) / 1000).toFixed(1)} per CPU-s)  ${top}`);
    lastCpu = process.cpuUsage();
    samples.clear();
    lastInstr = instr;
    lastReport = t;
  }
}
console.log(`${now()} end: ${m.state} ${m.stopReason} after ${(m.stats().instructions / 1e9).toFixed(2)} G instructions`);
const jit = m.cpu.jit;
if (jit) console.log(`jit: ${jit.compiled} blocks compiled, ${jit.size} cached, ${jit.invalidatedBlocks} invalidated, ${jit.flushes} flushes`);
