// The real SeaBIOS VGA BIOS (vgabios-stdvga.bin) running on our CPU against this device: its POST
// (DISPI detection, PCI BAR read, mode 3 with its own font), then INT 10h teletype, mode 13h,
// a VBE linear-framebuffer mode and back to text. Skipped only where the Debian file is absent.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/emulator/clock.ts";
import { CPU, CS, DS, ES, SS } from "../../src/emulator/cpu/cpu.ts";
import type { DeviceContext } from "../../src/emulator/device.ts";
import { PciHostBus } from "../../src/emulator/devices/pci-bus.ts";
import { VgaDevice } from "../../src/emulator/devices/vga.ts";
import { IOBus } from "../../src/emulator/io-bus.ts";
import { PhysicalMemory } from "../../src/emulator/memory.ts";

const VGABIOS = "/tmp/debx/usr/share/seabios/vgabios-stdvga.bin";
const LFB = 0xe0000000;

// Each stage reports its number on port 0xE9 and halts; the test inspects the screen in between.
const STUB = `
bits 16
org 0x1000
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  xor di, di
  mov cx, 256
fill:
  mov word [di], 0x0f00          ; every vector -> IRET at 0:0F00
  mov word [di + 2], 0
  add di, 4
  loop fill
  mov byte [0x0f00], 0xcf
  mov word [0x413], 639          ; BDA: base memory size in KiB
  mov ax, 0x0010                 ; PCI bus 0, device 2, function 0
  call 0xc000:0x0003             ; option ROM init
  mov ax, 0x0003                 ; what SeaBIOS does next: text mode 3
  int 0x10
  mov al, 1
  out 0xe9, al
  hlt
  mov si, msg
.next:
  lodsb
  test al, al
  jz .done
  mov ah, 0x0e
  mov bx, 0x0007
  int 0x10
  jmp .next
.done:
  mov al, 2
  out 0xe9, al
  hlt
  mov ax, 0x0013
  int 0x10
  mov ax, 0x0c04                 ; put pixel colour 4 at (10, 20)
  xor bx, bx
  mov cx, 10
  mov dx, 20
  int 0x10
  mov al, 3
  out 0xe9, al
  hlt
  mov ax, 0x4f02
  mov bx, 0x4118                 ; VBE 1024x768, linear framebuffer
  int 0x10
  mov [0x0f10], ax
  mov al, 4
  out 0xe9, al
  hlt
  mov ax, 0x0003
  int 0x10
  mov al, 5
  out 0xe9, al
  hlt
msg: db "Hypertab VGA", 13, 10, "line 2", 0
`;

function assemble(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "vga-test-"));
  try {
    writeFileSync(join(dir, "t.asm"), source);
    execFileSync("nasm", ["-f", "bin", "-o", join(dir, "t.bin"), join(dir, "t.asm")], { stdio: ["ignore", "ignore", "pipe"] });
    return new Uint8Array(readFileSync(join(dir, "t.bin")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!existsSync(VGABIOS))("SeaBIOS VGA BIOS on this device", () => {
  it("POSTs, prints with INT 10h, sets mode 13h, a VBE LFB mode and text again", () => {
    const memory = new PhysicalMemory(16 << 20, { shared: false });
    const io = new IOBus();
    const clock = new VirtualClock(() => 0);
    const base = {
      io,
      memory,
      clock,
      irq: { setIrq: () => {} },
      log: () => {},
      addTimer: () => {},
      rescheduleTimer: () => {},
      requestReset: () => {},
      requestPowerOff: () => {},
    };
    const bus = new PciHostBus(base);
    const ctx: DeviceContext = { ...base, pci: bus };
    const rom = new Uint8Array(readFileSync(VGABIOS));
    const vga = new VgaDevice(ctx, { vgaBios: rom });
    // What SeaBIOS would have done: BAR0 placed and memory decoding on, the ROM shadowed at C0000.
    io.out32(0xcf8, 0x80001010);
    io.out32(0xcfc, LFB);
    io.out32(0xcf8, 0x80001004);
    io.out16(0xcfc, 0x0003);
    memory.writeBytes(0xc0000, rom);
    memory.writeBytes(0x1000, assemble(STUB));
    const stages: number[] = [];
    io.register(0xe9, 1, { out8: (_p, v) => void stages.push(v) }, "stage");

    const cpu = new CPU(memory, io, clock);
    cpu.reset();
    cpu.loadSegmentReal(CS, 0);
    cpu.loadSegmentReal(DS, 0);
    cpu.loadSegmentReal(ES, 0);
    cpu.loadSegmentReal(SS, 0);
    cpu.eip = 0x1000;
    cpu.r32[4] = 0x8000;
    const runToStage = (n: number) => {
      cpu.halted = false;
      for (let i = 0; i < 400 && !cpu.halted; i++) cpu.run(100_000);
      expect(stages.at(-1), `stage ${n} (eip 0x${cpu.eip.toString(16)})`).toBe(n);
    };

    runToStage(1);
    expect(memory.read16(0x40 + 2)).toBe(0xc000); // INT 10h now points into the VGA BIOS
    expect(vga.dispi.regs[0]).toBe(0xb0c5); // it found DISPI and claimed the newest interface
    expect(vga.mode()).toEqual({ kind: "text", cols: 80, rows: 25 });
    runToStage(2);
    const lines = vga.textLines();
    expect(lines[0]).toBe("Hypertab VGA");
    expect(lines[1]).toBe("line 2");
    expect(vga.cursor()).toEqual({ row: 1, col: 6, visible: true });
    // The BIOS font is in plane 2 now: an "H" cell has its left stroke lit in grey.
    const text = vga.render();
    expect(text.width).toBe(720);
    let lit = 0;
    for (let y = 0; y < 16; y++) for (let x = 0; x < 9; x++) if (text.pixels[(y * 720 + x) * 4] === 0xaa) lit++;
    expect(lit).toBeGreaterThan(20);

    runToStage(3);
    expect(vga.mode()).toEqual({ kind: "graphics", width: 320, height: 200, bpp: 8 });
    const g = vga.render();
    const i = (20 * 320 + 10) * 4;
    expect([g.pixels[i], g.pixels[i + 1], g.pixels[i + 2]]).toEqual([0xaa, 0, 0]); // default palette: 4 = red

    runToStage(4);
    expect(memory.read16(0x0f10)).toBe(0x004f);
    const m = vga.mode();
    expect(m.kind === "graphics" && [m.width, m.height]).toEqual([1024, 768]);
    memory.write32(LFB, 0x00123456);
    const v = vga.render();
    expect([v.pixels[0], v.pixels[1], v.pixels[2]]).toEqual([0x12, 0x34, 0x56]);

    runToStage(5);
    expect(vga.mode()).toEqual({ kind: "text", cols: 80, rows: 25 });
    expect(vga.textLines().every((l) => l === "")).toBe(true);
  });
});
