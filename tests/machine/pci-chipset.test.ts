import { describe, expect, it } from "vitest";
import type { PciFunction } from "../../src/emulator/device.ts";
import { I440fxHost } from "../../src/emulator/devices/chipset/i440fx-host.ts";
import { pciConfigHeader, PIRQ_GSI_BASE } from "../../src/emulator/devices/chipset/pci-bus.ts";
import { Piix3Isa } from "../../src/emulator/devices/chipset/piix3-isa.ts";
import { makePlatform, pciRead, pciWrite } from "./helpers.ts";

function fakeBios(size = 0x20000): Uint8Array {
  const bios = new Uint8Array(size);
  for (let i = 0; i < size; i++) bios[i] = (i * 7 + 3) & 0xff;
  bios[size - 16] = 0xea; // far jump at the reset vector
  return bios;
}

function fakeFunction(device: number, maps: number[][]): PciFunction {
  const config = pciConfigHeader({ vendor: 0x1234, device: 0x5678, classCode: 0x020000, interruptPin: 1 });
  config[0x10 + 4 * 1] = 0x08; // BAR1 prefetchable memory
  return {
    name: "fake nic",
    device,
    fn: 0,
    config,
    bars: [
      { kind: "io", size: 32, onMap: (b) => maps[0].push(b) },
      { kind: "mem", size: 0x1000, onMap: (b) => maps[1].push(b) },
    ],
    romImage: new Uint8Array([0x55, 0xaa, 0x10, 0x42]),
  };
}

describe("PCI bus (mechanism #1)", () => {
  it("enumerates the host bridge and the multi-function PIIX3, and nothing elsewhere", () => {
    const p = makePlatform();
    new I440fxHost(p.ctx, { bios: null });
    new Piix3Isa(p.ctx, { bus: p.bus });
    expect(pciRead(p.io, 0, 0, 0)).toBe(0x12378086);
    expect(pciRead(p.io, 1, 0, 0)).toBe(0x70008086);
    expect(pciRead(p.io, 1, 0, 0x0e, 1) & 0x80).toBe(0); // single function so far
    expect(pciRead(p.io, 0, 0, 0x08) >>> 8).toBe(0x060000); // class: host bridge
    expect(pciRead(p.io, 5, 0, 0)).toBe(0xffffffff);
    // Config disabled (bit 31 clear): no function answers.
    p.io.out32(0xcf8, 0x00000000);
    expect(p.io.in32(0xcfc) >>> 0).toBe(0xffffffff);
    // Vendor ID is read-only.
    pciWrite(p.io, 0, 0, 0, 0xdeadbeef);
    expect(pciRead(p.io, 0, 0, 0)).toBe(0x12378086);
  });

  it("sizes BARs, decodes them only when enabled in COMMAND, and maps the expansion ROM", () => {
    const p = makePlatform();
    const maps: number[][] = [[], []];
    p.bus.addFunction(fakeFunction(3, maps));
    pciWrite(p.io, 3, 0, 0x10, 0xffffffff);
    expect(pciRead(p.io, 3, 0, 0x10)).toBe(0xffffffe1); // 32 bytes of I/O
    pciWrite(p.io, 3, 0, 0x14, 0xffffffff);
    expect(pciRead(p.io, 3, 0, 0x14)).toBe(0xfffff008); // 4 KiB prefetchable memory
    pciWrite(p.io, 3, 0, 0x30, 0xfffffffe);
    expect(pciRead(p.io, 3, 0, 0x30)).toBe(0xfffff000); // ROM rounded up to 4 KiB
    expect(maps[0]).toEqual([]);
    pciWrite(p.io, 3, 0, 0x10, 0xc000);
    pciWrite(p.io, 3, 0, 0x14, 0xfe000000);
    pciWrite(p.io, 3, 0, 0x30, 0xfeb00001);
    expect(maps[0]).toEqual([]); // decoding still off
    pciWrite(p.io, 3, 0, 0x04, 0x0003, 2);
    expect(maps[0]).toEqual([0xc000]);
    expect(maps[1]).toEqual([0xfe000000]);
    expect(p.memory.read8(0xfeb00000)).toBe(0x55);
    expect(p.memory.read8(0xfeb00003)).toBe(0x42);
    expect(p.memory.read8(0xfeb00004)).toBe(0xff);
    pciWrite(p.io, 3, 0, 0x04, 0x0000, 2);
    expect(maps[0]).toEqual([0xc000, -1]);
    expect(maps[1]).toEqual([0xfe000000, -1]);
    expect(p.memory.read8(0xfeb00000)).toBe(0xff);
  });

  it("routes INTx through the PIIX3 PIRQ registers to an ISA IRQ and the I/O APIC", () => {
    const p = makePlatform();
    new Piix3Isa(p.ctx, { bus: p.bus });
    const fn = fakeFunction(3, [[], []]);
    p.bus.addFunction(fn);
    // Device 3 pin A → PIRQ (3 + 0) & 3 = D.
    pciWrite(p.io, 1, 0, 0x63, 11, 1);
    p.bus.setIntx(fn, true);
    expect(p.irq.level(11)).toBe(true);
    expect(p.irq.level(PIRQ_GSI_BASE + 3)).toBe(true);
    // Re-routing moves the level to the new IRQ.
    pciWrite(p.io, 1, 0, 0x63, 10, 1);
    expect(p.irq.level(11)).toBe(false);
    expect(p.irq.level(10)).toBe(true);
    p.bus.setIntx(fn, false);
    expect(p.irq.level(10)).toBe(false);
    expect(p.irq.level(PIRQ_GSI_BASE + 3)).toBe(false);
    // Disabled routing (bit 7) leaves ISA lines alone.
    pciWrite(p.io, 1, 0, 0x63, 0x80, 1);
    p.bus.setIntx(fn, true);
    expect(p.irq.level(10)).toBe(false);
    expect(p.irq.level(PIRQ_GSI_BASE + 3)).toBe(true);
  });

  it("port 0xCF9 resets on a 0→1 edge of bit 2, and 32-bit 0xCF8 still works beside it", () => {
    const p = makePlatform();
    new Piix3Isa(p.ctx, { bus: p.bus });
    p.io.out8(0xcf9, 0x02);
    expect(p.resets).toEqual([]);
    p.io.out8(0xcf9, 0x06);
    expect(p.resets.length).toBe(1);
    expect(p.io.in8(0xcf9)).toBe(0x02);
    expect(pciRead(p.io, 1, 0, 0)).toBe(0x70008086);
  });

  it("saves and restores config spaces and re-announces BAR mappings", () => {
    const p = makePlatform();
    const maps: number[][] = [[], []];
    p.bus.addFunction(fakeFunction(3, maps));
    pciWrite(p.io, 3, 0, 0x10, 0xc100);
    pciWrite(p.io, 3, 0, 0x04, 0x0001, 2);
    const saved = p.bus.saveState();
    const q = makePlatform();
    const maps2: number[][] = [[], []];
    q.bus.addFunction(fakeFunction(3, maps2));
    q.bus.loadState(saved);
    expect(maps2[0]).toEqual([0xc100]);
    expect(pciRead(q.io, 3, 0, 0x10)).toBe(0xc101);
    const other = makePlatform();
    expect(() => other.bus.loadState(saved)).toThrow(/3\.0/);
  });
});

describe("i440FX PAM shadowing", () => {
  it("maps the BIOS at the top of 4 GiB and its last 128 KiB at 0xE0000", () => {
    const p = makePlatform();
    const bios = fakeBios(0x40000);
    new I440fxHost(p.ctx, { bios });
    expect(p.memory.read8(0xfffffff0)).toBe(0xea);
    expect(p.memory.read8(0xfffc0000)).toBe(bios[0]);
    expect(p.memory.read8(0xffff0)).toBe(0xea);
    expect(p.memory.read8(0xe0000)).toBe(bios[0x20000]);
    expect(p.memory.read8(0xc0000)).toBe(0xff); // nothing behind the option ROM area yet
  });

  it("follows PAM read/write enables per segment and unmaps plain RAM for the fast path", () => {
    const p = makePlatform();
    const bios = fakeBios();
    const host = new I440fxHost(p.ctx, { bios });
    // PAM0 = 0: reads ROM, writes dropped.
    p.memory.write8(0xf1000, 0x11);
    expect(p.memory.ram[0xf1000]).toBe(0);
    expect(p.memory.read8(0xf1000)).toBe(bios[0x11000]);
    // Write-only RAM (0x20): the SeaBIOS copy step — read ROM, write RAM.
    pciWrite(p.io, 0, 0, 0x59, 0x20, 1);
    p.memory.write8(0xf1000, 0x11);
    expect(p.memory.ram[0xf1000]).toBe(0x11);
    expect(p.memory.read8(0xf1000)).toBe(bios[0x11000]);
    // Read-only RAM (0x10): reads RAM, writes dropped.
    pciWrite(p.io, 0, 0, 0x59, 0x10, 1);
    p.memory.write8(0xf1000, 0x22);
    expect(p.memory.read8(0xf1000)).toBe(0x11);
    expect(p.memory.isRamPage(0xf1)).toBe(false);
    // Read/write RAM: plain RAM pages.
    pciWrite(p.io, 0, 0, 0x59, 0x30, 1);
    expect(p.memory.isRamPage(0xf1)).toBe(true);
    p.memory.write8(0xf1000, 0x33);
    expect(p.memory.read8(0xf1000)).toBe(0x33);
    // PAM1 low nibble covers 0xC0000-0xC3FFF, high nibble 0xC4000-0xC7FFF.
    pciWrite(p.io, 0, 0, 0x5a, 0x03, 1);
    expect(p.memory.isRamPage(0xc0)).toBe(true);
    expect(p.memory.isRamPage(0xc4)).toBe(false);
    // A restored host re-applies the saved PAM mapping.
    const q = makePlatform();
    const host2 = new I440fxHost(q.ctx, { bios });
    expect(q.memory.isRamPage(0xf1)).toBe(false);
    host2.loadState(host.saveState());
    expect(q.memory.isRamPage(0xf1)).toBe(true);
    expect(q.memory.isRamPage(0xc0)).toBe(true);
  });
});
