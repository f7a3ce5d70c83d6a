// Machine reset cost: how long one whole-machine reset (CPU, chipset, VGA with 16 MiB VRAM...)
// takes after the guest ran and wrote to VRAM, median of many. Prints one line and a JSON line.
// Usage: npx tsx bench/reset-cost.ts [resets]

import { createMachine } from "../src/emulator/machine.ts";
import { median, spread } from "./medians.ts";

const resets = Number(process.argv[2] ?? 200);
// A guest that writes the text screen and spins: `mov dword [0xb8000], 0x07410741; jmp $`.
const kernel = new Uint8Array([
  0x02, 0xb0, 0xad, 0x1b, 0x02, 0x00, 0x01, 0x00, 0xfc, 0x4f, 0x51, 0xe4, // Multiboot header (flags: a.out kludge)
  0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x10, 0x00,
  0xc7, 0x05, 0x00, 0x80, 0x0b, 0x00, 0x41, 0x07, 0x41, 0x07, 0xeb, 0xfe,
]);
const m = createMachine({ memoryMiB: 32, boot: { kind: "multiboot", kernel, cmdline: "" }, cards: [{ type: "serial", index: 0 }, { type: "vga" }] });
const times: number[] = [];
for (let i = 0; i < resets; i++) {
  m.runSlice({ maxInstructions: 10_000 });
  const t0 = performance.now();
  m.reset();
  times.push(performance.now() - t0);
}
const med = median(times)!;
const [lo, hi] = spread(times)!;
console.log(`reset-cost: ${resets} machine resets, median ${med.toFixed(3)} ms (${lo.toFixed(3)}–${hi.toFixed(3)} ms)`);
console.log(JSON.stringify({ resetCost: { resets, medianMs: Math.round(med * 1000) / 1000, spreadMs: [lo, hi].map((x) => Math.round(x * 1000) / 1000) } }));
