// The real SeaBIOS VGA BIOS (vgabios-stdvga.bin) running on our CPU against this device: its POST
// (DISPI detection, PCI BAR read, mode 3 with its own font), then INT 10h teletype, mode 13h,
// a VBE linear-framebuffer mode and back to text. Skipped only where the Debian file is absent.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/emulator/clock.ts";
import { CPU, CS, DS, ES, SS } from "../../src/emulator/cpu/cpu.ts";
import { PciHostBus } from "../../src/emulator/devices/chipset/pci-bus.ts";
import { VgaDevice } from "../../src/emulator/devices/vga/vga.ts";
import { findRomFont16 } from "../../src/emulator/devices/vga/vga-font.ts";
import { IOBus } from "../../src/emulator/io-bus.ts";
import { PhysicalMemory } from "../../src/emulator/memory.ts";

// From the guest pipeline (`npm run guests`, part of the README test command).
const VGABIOS = join(import.meta.dirname, "../../public/bios/vgabios-stdvga.bin");
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

/** This VGA with BIOS image `rom` on a real PCI host bus (the BIOS finds it through the config
 *  ports), over `memory`, `io` and `clock`, with no interrupts, timers or logging. */
function vgaOnPciBus(memory: PhysicalMemory, io: IOBus, clock: VirtualClock, rom: Uint8Array): VgaDevice {
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
  return new VgaDevice({ ...base, pci: new PciHostBus(base) }, { vgaBios: rom });
}

/** RAM, I/O, a PCI bus with this VGA (its BIOS from the file) and a real-mode CPU at STUB: where
 *  SeaBIOS stands before it calls the VGA option ROM. Nothing has run yet. */
function vgaBiosMachine() {
  const memory = new PhysicalMemory(16 << 20, { shared: false });
  const io = new IOBus();
  const clock = new VirtualClock(() => 0);
  const rom = new Uint8Array(readFileSync(VGABIOS));
  const vga = vgaOnPciBus(memory, io, clock, rom);
  // What SeaBIOS would have done: BAR0 placed and memory decoding on, the ROM shadowed at C0000.
  io.out32(0xcf8, 0x80001010);
  io.out32(0xcfc, LFB);
  io.out32(0xcf8, 0x80001004);
  io.out16(0xcfc, 0x0003);
  memory.writeBytes(0xc0000, rom);
  memory.writeBytes(0x1000, assemble(STUB));
  const cpu = new CPU(memory, io, clock);
  cpu.reset();
  for (const seg of [CS, DS, ES, SS]) cpu.loadSegmentReal(seg, 0);
  cpu.eip = 0x1000;
  cpu.r32[4] = 0x8000;
  return { memory, io, vga, cpu };
}

describe("SeaBIOS VGA BIOS on this device", () => {
  it("POSTs, prints with INT 10h, sets mode 13h, a VBE LFB mode and text again", () => {
    const { memory, io, vga, cpu } = vgaBiosMachine();
    const stages: number[] = [];
    io.register(0xe9, 1, { out8: (_p, v) => void stages.push(v) }, "stage");
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

/** A CPU + PCI bus + this VGA with the VGA BIOS POSTed and mode 3 set; `int10` runs one INT 10h. */
function bootVgaBios() {
  const { memory, io, vga, cpu } = vgaBiosMachine();
  memory.writeBytes(0x2000, assemble("bits 16\norg 0x2000\n  int 0x10\n  hlt\n"));
  for (let i = 0; i < 400 && !cpu.halted; i++) cpu.run(100_000); // through POST and mode 3 (stage 1)
  const int10 = (ax: number, bx = 0, cx = 0, dx = 0, es = 0, di = 0) => {
    for (const seg of [CS, DS, SS]) cpu.loadSegmentReal(seg, 0);
    cpu.loadSegmentReal(ES, es);
    cpu.eip = 0x2000;
    cpu.r32[4] = 0x8000;
    cpu.r32[0] = ax;
    cpu.r32[3] = bx;
    cpu.r32[1] = cx;
    cpu.r32[2] = dx;
    cpu.r32[7] = di;
    cpu.halted = false;
    for (let i = 0; i < 400 && !cpu.halted; i++) cpu.run(100_000);
    expect(cpu.halted, `INT 10h AX=${ax.toString(16)} returned`).toBe(true);
    return { ax: cpu.r32[0] & 0xffff, bx: cpu.r32[3] & 0xffff, cx: cpu.r32[1] & 0xffff };
  };
  /** RGB the registers say colour `c` of a 16-colour-or-fewer mode should show, read via the ports. */
  const attributeRgb = (c: number) => {
    io.in8(0x3da);
    io.out8(0x3c0, 0x20 | 0x12);
    const planeEnable = io.in8(0x3c1) & 0x0f;
    io.in8(0x3da);
    io.out8(0x3c0, 0x20 | (c & planeEnable));
    const dacIndex = io.in8(0x3c1) & 0x3f;
    io.in8(0x3da);
    io.out8(0x3c0, 0x20);
    io.out8(0x3c7, dacIndex);
    return [0, 1, 2].map(() => six2eight(io.in8(0x3c9)));
  };
  return { memory, io, vga, cpu, int10, attributeRgb };
}

const six2eight = (v: number) => ((v << 2) | (v >> 4)) & 0xff;

describe("SeaBIOS VGA BIOS modes on this device", () => {
  const cases = [
    { mode: 0x04, expect: { width: 320, height: 200, bpp: 2 }, colour: 2 },
    { mode: 0x06, expect: { width: 640, height: 200, bpp: 1 }, colour: 1 },
    { mode: 0x0d, expect: { width: 320, height: 200, bpp: 4 }, colour: 12 },
    { mode: 0x0e, expect: { width: 640, height: 200, bpp: 4 }, colour: 9 },
    { mode: 0x10, expect: { width: 640, height: 350, bpp: 4 }, colour: 5 },
    { mode: 0x12, expect: { width: 640, height: 480, bpp: 4 }, colour: 14 },
    { mode: 0x13, expect: { width: 320, height: 200, bpp: 8 }, colour: 0x2c },
  ];
  it("sets every standard graphics mode; BIOS put/get pixel round-trips and renders in the register colours", () => {
    const { vga, int10, attributeRgb, io } = bootVgaBios();
    for (const c of cases) {
      int10(c.mode);
      expect(vga.mode(), `mode ${c.mode.toString(16)}`).toEqual({ kind: "graphics", ...c.expect });
      const x = c.expect.width - 3;
      const y = c.expect.height - 2;
      int10(0x0c00 | c.colour, 0, x, y);
      int10(0x0c00 | c.colour, 0, 5, 7);
      expect(int10(0x0d00, 0, x, y).ax & 0xff, `get pixel in mode ${c.mode.toString(16)}`).toBe(c.colour);
      expect(int10(0x0d00, 0, x - 1, y).ax & 0xff).toBe(0);
      const frame = vga.render();
      expect([frame.width, frame.height]).toEqual([c.expect.width, c.expect.height]);
      const at = (px: number, py: number) => [...frame.pixels.subarray((py * frame.width + px) * 4, (py * frame.width + px) * 4 + 3)];
      let want: number[];
      if (c.mode === 0x13) {
        io.out8(0x3c7, c.colour);
        want = [0, 1, 2].map(() => six2eight(io.in8(0x3c9)));
      } else want = attributeRgb(c.colour);
      expect(at(x, y), `pixel colour in mode ${c.mode.toString(16)}`).toEqual(want);
      expect(at(5, 7)).toEqual(want);
      expect(at(x - 1, y)).not.toEqual(want);
    }
    int10(0x0001);
    expect(vga.mode()).toEqual({ kind: "text", cols: 40, rows: 25 });
    int10(0x0e41, 0x0007);
    expect(vga.textLines()[0]).toBe("A");
    int10(0x1112); // 8x8 font: 80x50
    expect(vga.mode()).toEqual({ kind: "text", cols: 40, rows: 50 });
  });

  it("VBE: controller and mode info point at BAR0, 32-bit mode set through INT 10h renders", () => {
    const { vga, memory, int10, attributeRgb } = bootVgaBios();
    memory.write32(0x3000, 0x32454256); // "VBE2"
    expect(int10(0x4f00, 0, 0, 0, 0x0300, 0).ax).toBe(0x004f);
    expect(String.fromCharCode(...memory.readBytes(0x3000, 4))).toBe("VESA");
    expect(memory.read16(0x3004)).toBeGreaterThanOrEqual(0x0200);
    expect(memory.read16(0x3012) * 64 * 1024).toBe(16 << 20); // total memory
    const listPtr = memory.read32(0x300e);
    const modes: number[] = [];
    for (let p = ((listPtr >>> 16) << 4) + (listPtr & 0xffff); modes.length < 200; p += 2) {
      const m = memory.read16(p);
      if (m === 0xffff) break;
      modes.push(m);
    }
    expect(modes).toContain(0x118);
    // Find a 32 bpp mode of 800x600 in the list via 4F01.
    let found = -1;
    for (const m of modes) {
      expect(int10(0x4f01, 0, m, 0, 0x0400, 0).ax).toBe(0x004f);
      const w = memory.read16(0x4012);
      const h = memory.read16(0x4014);
      const bpp = memory.read8(0x4019);
      if (w === 800 && h === 600 && bpp === 32) {
        found = m;
        expect(memory.read32(0x4028) >>> 0).toBe(LFB); // PhysBasePtr
        expect(memory.read16(0x4010)).toBe(800 * 4); // BytesPerScanLine
        break;
      }
    }
    expect(found).toBeGreaterThan(0);
    expect(int10(0x4f02, 0x4000 | found).ax).toBe(0x004f);
    expect(vga.mode()).toEqual({ kind: "graphics", width: 800, height: 600, bpp: 32 });
    memory.write32(LFB + (599 * 800 + 799) * 4, 0x00ff0000);
    const frame = vga.render();
    expect([...frame.pixels.subarray(frame.pixels.length - 4)]).toEqual([0xff, 0, 0, 255]);
    expect(int10(0x4f03).bx).toBe(0x4000 | found);
    // Planar VBE mode 0x102 (800x600, 16 colours): BIOS put/get pixel through the planar window.
    expect(int10(0x4f02, 0x0102).ax).toBe(0x004f);
    expect(vga.mode()).toEqual({ kind: "graphics", width: 800, height: 600, bpp: 4 });
    int10(0x0c0e, 0, 797, 598);
    expect(int10(0x0d00, 0, 797, 598).ax & 0xff).toBe(14);
    expect(int10(0x0d00, 0, 796, 598).ax & 0xff).toBe(0);
    const planar = vga.render();
    const px = (x: number, y: number) => [...planar.pixels.subarray((y * 800 + x) * 4, (y * 800 + x) * 4 + 3)];
    expect(px(797, 598)).toEqual(attributeRgb(14));
    expect(px(796, 598)).toEqual(attributeRgb(0));
    expect(px(797, 598)).not.toEqual(px(796, 598));
    expect(int10(0x0003).ax & 0xff).not.toBe(0xff);
    expect(vga.mode()).toEqual({ kind: "text", cols: 80, rows: 25 });
  });
});

describe("power-on font from the VGA BIOS image", () => {
  it("finds the ROM's 8x16 font and shows text with it before any BIOS code ran", () => {
    const rom = new Uint8Array(readFileSync(VGABIOS));
    const font = findRomFont16(rom);
    expect(font).not.toBeNull();
    expect([...font!.subarray(0x41 * 16 + 2, 0x41 * 16 + 8)]).toEqual([0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe]); // "A"
    const memory = new PhysicalMemory(2 << 20, { shared: false });
    const io = new IOBus();
    const vga = vgaOnPciBus(memory, io, new VirtualClock(() => 0), rom);
    memory.write16(0xb8000, 0x0741);
    io.out16(0x3d4, 0x200a); // no cursor
    const frame = vga.render();
    for (let y = 0; y < 16; y++) {
      let bits = 0;
      for (let x = 0; x < 8; x++) if (frame.pixels[(y * 720 + x) * 4] !== 0) bits |= 0x80 >> x;
      expect(bits, `row ${y}`).toBe(font![0x41 * 16 + y]);
    }
  });
});
