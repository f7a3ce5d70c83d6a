import { describe, expect, it } from "vitest";
import { AcpiPm, PM_TIMER_HZ } from "../../src/emulator/devices/chipset/acpi-pm.ts";
import { floppyCard } from "../../src/emulator/cards/floppy.ts";
import { ps2Card } from "../../src/emulator/cards/ps2.ts";
import { serialCard } from "../../src/emulator/cards/serial.ts";
import { acpiChecksum, buildAcpiTables, placeAcpiTables, PM_IO_BASE } from "../../src/emulator/devices/firmware/acpi-tables.ts";
import { FwCfg } from "../../src/emulator/devices/firmware/fw-cfg.ts";
import type { PhysicalMemory } from "../../src/emulator/memory.ts";
import { makePlatform, pciRead, pciWrite, type TestPlatform } from "./helpers.ts";

const u32 = (a: Uint8Array, o: number) => (a[o] | (a[o + 1] << 8) | (a[o + 2] << 16) | (a[o + 3] << 24)) >>> 0;
const str = (a: Uint8Array, o: number, n: number) => String.fromCharCode(...a.subarray(o, o + n));

function readItem(p: TestPlatform, select: number, length: number): Uint8Array {
  p.io.out16(0x510, select);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = p.io.in8(0x511);
  return out;
}

function fileDir(p: TestPlatform): Map<string, { select: number; size: number }> {
  const count = new DataView(readItem(p, 0x19, 4).buffer).getUint32(0);
  const raw = readItem(p, 0x19, 4 + 64 * count);
  const v = new DataView(raw.buffer);
  const files = new Map<string, { select: number; size: number }>();
  for (let i = 0; i < count; i++) {
    const at = 4 + 64 * i;
    const name = str(raw, at + 8, 56).replace(/\0.*$/s, "");
    files.set(name, { size: v.getUint32(at), select: v.getUint16(at + 4) });
  }
  return files;
}

/** A fw_cfg DMA read, exactly as SeaBIOS issues it (big-endian control block, address written BE). */
function dmaRead(p: TestPlatform, select: number, length: number, target: number): number {
  const block = 0x5000;
  const v = new DataView(new ArrayBuffer(16));
  v.setUint32(0, ((select << 16) | 0x08 | 0x02) >>> 0);
  v.setUint32(4, length);
  v.setUint32(8, 0);
  v.setUint32(12, target);
  p.memory.writeBytes(block, new Uint8Array(v.buffer));
  const bswap = (x: number) => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
  p.io.out32(0x514, bswap(0));
  p.io.out32(0x518, bswap(block));
  return new DataView(p.memory.readBytes(block, 4).buffer).getUint32(0);
}

/** The firmware side of etc/table-loader (what SeaBIOS's romfile loader does), for the test. */
function runTableLoader(p: TestPlatform, files: Map<string, { select: number; size: number }>): Map<string, number> {
  const loader = files.get("etc/table-loader")!;
  const script = readItem(p, loader.select, loader.size);
  const placed = new Map<string, number>();
  let high = 0x100000 - 0x10000; // arbitrary places for the test
  let fseg = 0xf5000;
  const name = (o: number) => str(script, o, 56).replace(/\0.*$/s, "");
  const mem: PhysicalMemory = p.memory;
  for (let c = 0; c < script.length; c += 128) {
    const type = u32(script, c);
    if (type === 1) {
      const file = name(c + 4);
      const f = files.get(file)!;
      const zone = script[c + 64];
      const addr = zone === 2 ? fseg : high;
      if (zone === 2) fseg += 0x1000;
      else high += 0x1000;
      expect(addr % u32(script, c + 60)).toBe(0);
      mem.writeBytes(addr, readItem(p, f.select, f.size));
      placed.set(file, addr);
    } else if (type === 2) {
      const dest = placed.get(name(c + 4))! + u32(script, c + 116);
      mem.write32(dest, (mem.read32(dest) + placed.get(name(c + 60))!) | 0);
      expect(script[c + 120]).toBe(4);
    } else if (type === 3) {
      const base = placed.get(name(c + 4))!;
      const at = base + u32(script, c + 60);
      const data = mem.readBytes(base + u32(script, c + 64), u32(script, c + 68));
      mem.write8(at, (mem.read8(at) - acpiChecksum(data)) & 0xff);
    } else {
      throw new Error(`unknown loader command ${type}`);
    }
  }
  return placed;
}

describe("fw_cfg", () => {
  it("answers the QEMU signature, ID with DMA, RAM size, CPU count and a file directory", () => {
    const p = makePlatform(4);
    new FwCfg(p.ctx, { ramBytes: 4 << 20, bootOrder: ["/isa/fdc@03f0/floppy@0"], acpi: buildAcpiTables({ apic: true }) });
    expect(str(readItem(p, 0, 4), 0, 4)).toBe("QEMU");
    expect(u32(readItem(p, 1, 4), 0)).toBe(3);
    expect(u32(readItem(p, 3, 8), 0)).toBe(4 << 20);
    expect(readItem(p, 5, 2)[0]).toBe(1);
    const files = fileDir(p);
    expect([...files.keys()].sort()).toEqual(
      ["bootorder", "etc/acpi/rsdp", "etc/acpi/tables", "etc/boot-fail-wait", "etc/e820", "etc/show-boot-menu", "etc/table-loader"].sort(),
    );
    const bootorder = files.get("bootorder")!;
    expect(str(readItem(p, bootorder.select, bootorder.size), 0, bootorder.size)).toBe("/isa/fdc@03f0/floppy@0\n\0");
    // DMA signature at 0x514.
    expect(String.fromCharCode(...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => p.io.in8(0x514 + i)))).toBe("QEMU CFG");
  });

  it("moves etc/e820 into guest memory with the DMA interface and clears the control word", () => {
    const p = makePlatform(4);
    new FwCfg(p.ctx, { ramBytes: 4 << 20 });
    const e820 = fileDir(p).get("etc/e820")!;
    expect(e820.size).toBe(20);
    expect(dmaRead(p, e820.select, 20, 0x6000)).toBe(0);
    const entry = p.memory.readBytes(0x6000, 20);
    expect(u32(entry, 0)).toBe(0);
    expect(u32(entry, 8)).toBe(4 << 20);
    expect(u32(entry, 16)).toBe(1);
    // Reads past the end of an item give zeros; an out-of-range target is an error.
    expect(dmaRead(p, 0, 8, 0x7000)).toBe(0);
    expect(str(p.memory.readBytes(0x7000, 8), 0, 8)).toBe("QEMU\0\0\0\0");
    expect(dmaRead(p, 0, 0x2000000, 0x7000)).toBe(1);
  });

  it("provides ACPI tables that the firmware's table loader links into valid RSDP/RSDT/FADT/MADT/DSDT", () => {
    const p = makePlatform(4);
    new FwCfg(p.ctx, { ramBytes: 4 << 20, acpi: buildAcpiTables({ apic: true }) });
    const placed = runTableLoader(p, fileDir(p));
    const rsdpAddr = placed.get("etc/acpi/rsdp")!;
    expect(rsdpAddr).toBeGreaterThanOrEqual(0xe0000);
    checkAcpiTree(p.memory, rsdpAddr, true);
  });
});

/** Walks RSDP → RSDT → tables in guest memory and checks signatures, checksums and key fields. */
function checkAcpiTree(mem: PhysicalMemory, rsdpAddr: number, apic: boolean): void {
  const rsdp = mem.readBytes(rsdpAddr, 20);
  expect(str(rsdp, 0, 8)).toBe("RSD PTR ");
  expect(acpiChecksum(rsdp)).toBe(0);
  const rsdtAddr = u32(rsdp, 16);
  const table = (addr: number, sig: string) => {
    const head = mem.readBytes(addr, 36);
    expect(str(head, 0, 4)).toBe(sig);
    const t = mem.readBytes(addr, u32(head, 4));
    expect(acpiChecksum(t)).toBe(0);
    return t;
  };
  const rsdt = table(rsdtAddr, "RSDT");
  const entries = (rsdt.length - 36) / 4;
  expect(entries).toBe(apic ? 2 : 1);
  const fadt = table(u32(rsdt, 36), "FACP");
  expect(fadt.length).toBe(116);
  expect(fadt[46]).toBe(9); // SCI_INT
  expect(u32(fadt, 48)).toBe(0xb2);
  expect(u32(fadt, 56)).toBe(PM_IO_BASE);
  expect(u32(fadt, 64)).toBe(PM_IO_BASE + 4);
  expect(u32(fadt, 76)).toBe(PM_IO_BASE + 8);
  const facsAddr = u32(fadt, 36);
  expect(facsAddr % 64).toBe(0);
  expect(str(mem.readBytes(facsAddr, 4), 0, 4)).toBe("FACS");
  const dsdt = table(u32(fadt, 40), "DSDT");
  // Name(_S5_, Package(4){0,0,0,0})
  expect([...dsdt.subarray(36)]).toEqual([0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x04, 0, 0, 0, 0]);
  if (apic) {
    const madt = table(u32(rsdt, 40), "APIC");
    expect(u32(madt, 36)).toBe(0xfee00000);
    const overrides: [number, number, number][] = [];
    let ioapic = 0;
    for (let o = 44; o < madt.length; o += madt[o + 1]) {
      if (madt[o] === 1) ioapic = u32(madt, o + 4);
      if (madt[o] === 2) overrides.push([madt[o + 3], u32(madt, o + 4), madt[o + 8] | (madt[o + 9] << 8)]);
    }
    expect(ioapic).toBe(0xfec00000);
    expect(overrides).toContainEqual([0, 2, 0]);
    expect(overrides).toContainEqual([9, 9, 0x0d]);
  }
}

describe("ACPI tables for direct boot", () => {
  it("placeAcpiTables produces the same valid tree at a fixed address, with and without APIC", () => {
    for (const apic of [true, false]) {
      const p = makePlatform(2);
      const placed = placeAcpiTables(buildAcpiTables({ apic }), 0xe0000);
      p.memory.writeBytes(0xe0000, placed.tables);
      p.memory.writeBytes(0xf0000, placed.rsdp);
      checkAcpiTree(p.memory, 0xf0000, apic);
    }
  });
});

describe("ACPI power management function", () => {
  function setup() {
    const p = makePlatform();
    const pm = new AcpiPm(p.ctx);
    return { p, pm };
  }

  it("appears at 01.3 as 8086:7113, maps its registers where firmware puts PMBA, and reports APMC enabled", () => {
    const { p } = setup();
    expect(pciRead(p.io, 1, 3, 0)).toBe(0x71138086);
    expect(p.io.in16(PM_IO_BASE + 4)).toBe(0xffff); // not decoded yet
    pciWrite(p.io, 1, 3, 0x40, PM_IO_BASE | 1);
    pciWrite(p.io, 1, 3, 0x80, 1, 1);
    expect(p.io.in16(PM_IO_BASE + 4)).toBe(0);
    expect(pciRead(p.io, 1, 3, 0x58) & (1 << 25)).not.toBe(0);
    // Moving PMBA moves the block.
    pciWrite(p.io, 1, 3, 0x40, 0xb001);
    expect(p.io.in16(PM_IO_BASE + 4)).toBe(0xffff);
    expect(p.io.in16(0xb004)).toBe(0);
  });

  it("counts the PM timer at 3.579545 MHz in 24 bits from virtual time", () => {
    const { p, pm } = setup();
    pm.enableAt(PM_IO_BASE);
    const t0 = p.io.in32(PM_IO_BASE + 8);
    p.advanceMs(10);
    const t1 = p.io.in32(PM_IO_BASE + 8);
    expect((t1 - t0) & 0xffffff).toBe(Math.round(PM_TIMER_HZ / 100));
    p.advanceMs(5000); // > 2^24 ticks: wraps within 24 bits
    expect(p.io.in32(PM_IO_BASE + 8) >>> 24).toBe(0);
    // Bit 23 toggled: TMR_STS set; write-1-to-clear.
    expect(p.io.in16(PM_IO_BASE) & 1).toBe(1);
    p.io.out16(PM_IO_BASE, 1);
    expect(p.io.in16(PM_IO_BASE) & 1).toBe(0);
  });

  it("ACPI enable via SMI_CMD sets SCI_EN; the power button raises SCI on IRQ 9; SLP_TYP 0 + SLP_EN powers off", () => {
    const { p, pm } = setup();
    pm.enableAt(PM_IO_BASE);
    p.io.out8(0xb2, 0xf1);
    expect(p.io.in16(PM_IO_BASE + 4) & 1).toBe(1);
    p.io.out16(PM_IO_BASE + 2, 1 << 8); // PWRBTN_EN
    pm.pressPowerButton();
    expect(p.irq.level(9)).toBe(true);
    p.io.out16(PM_IO_BASE, 1 << 8);
    expect(p.irq.level(9)).toBe(false);
    p.io.out16(PM_IO_BASE + 4, 1 | (5 << 10) | (1 << 13)); // S-state 5 encoding is not ours: ignored
    expect(p.powerOffs).toEqual([]);
    p.io.out16(PM_IO_BASE + 4, 1 | (0 << 10) | (1 << 13));
    expect(p.powerOffs).toEqual([[0, "ACPI S5"]]);
  });

  it("saves and restores its registers and mapping", () => {
    const { p, pm } = setup();
    pm.enableAt(PM_IO_BASE);
    p.io.out8(0xb2, 0xf1);
    p.io.out16(PM_IO_BASE + 2, 1 << 8);
    const q = makePlatform();
    const pm2 = new AcpiPm(q.ctx);
    pm2.loadState(pm.saveState());
    expect(q.io.in16(PM_IO_BASE + 4) & 1).toBe(1);
    expect(q.io.in16(PM_IO_BASE + 2)).toBe(1 << 8);
  });
});

/** Decodes an AML PkgLength; returns [length, bytes used]. */
function pkgLen(a: Uint8Array, o: number): [number, number] {
  const lead = a[o];
  const extra = lead >>> 6;
  if (extra === 0) return [lead & 0x3f, 1];
  let len = lead & 0x0f;
  for (let i = 0; i < extra; i++) len |= a[o + 1 + i] << (4 + 8 * i);
  return [len, 1 + extra];
}

describe("DSDT", () => {
  it("encodes \\_S5, the PCI root bridge, its interrupt links, the hot-plug ports and ISA devices with EISA ids and resources in well-formed packages", () => {
    const blobs = buildAcpiTables({ apic: true, pciWindow: { memBase: 0x10000000, memLimit: 0xfebfffff }, isaDevices: [...ps2Card.isaDevices!({ type: "ps2" }), ...floppyCard.isaDevices!({ type: "floppy", drive: 0, image: null }), ...serialCard.isaDevices!({ type: "serial", index: 0 })] });
    const placed = placeAcpiTables(blobs, 0x10000);
    const t = placed.tables;
    expect(str(t, 64, 4)).toBe("DSDT"); // right after the 64-byte FACS
    const len = u32(t, 68);
    const aml = t.subarray(64 + 36, 64 + len);
    expect(acpiChecksum(t, 64, len)).toBe(0);
    // Name(_S5_, Package) first.
    expect([...aml.subarray(0, 5)]).toEqual([0x08, 0x5f, 0x53, 0x35, 0x5f]);
    const [s5Len, s5Bytes] = pkgLen(aml, 6);
    let o = 6 + s5Len; // the package's PkgLength counts from its own first byte
    expect(s5Bytes).toBe(1);
    // Scope(\_SB_), then Scope(\_GPE) spanning exactly to the end of the table.
    expect(aml[o]).toBe(0x10);
    const [scopeLen] = pkgLen(aml, o + 1);
    const sbEnd = o + 1 + scopeLen;
    expect(aml[sbEnd]).toBe(0x10);
    expect(sbEnd + 1 + pkgLen(aml, sbEnd + 1)[0]).toBe(aml.length);
    expect(str(aml, sbEnd + 1 + pkgLen(aml, sbEnd + 1)[1], 5)).toBe("\\_GPE");
    expect(str(aml, o + 1 + pkgLen(aml, o + 1)[1], 5)).toBe("\\_SB_");
    o = o + 1 + pkgLen(aml, o + 1)[1] + 5;
    const found: string[] = [];
    while (o < sbEnd) {
      expect([aml[o], aml[o + 1]]).toEqual([0x5b, 0x82]);
      const [dl, db] = pkgLen(aml, o + 2);
      const body = o + 2 + db;
      const name = str(aml, body, 4);
      // _HID name op followed by the EISA id DWordConst (what SeaBIOS compares at hid_aml + 5).
      expect(aml[body + 4]).toBe(0x08);
      expect(str(aml, body + 5, 4)).toBe("_HID");
      found.push(`${name}:${[...aml.subarray(body + 9, body + 14)].map((b) => b.toString(16).padStart(2, "0")).join("")}`);
      o = o + 2 + dl;
    }
    expect(o).toBe(sbEnd);
    // The root bridge's _CRS carries the PCI memory window as a DWordMemory descriptor.
    const hex = [...aml].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(hex).toContain("871700000c01" + "00000000" + "00000010" + "ffffbffe");
    const links = ["LNKA", "LNKB", "LNKC", "LNKD"].map((l) => `${l}:0c41d00c0f`);
    expect(found).toEqual(["PCI0:0c41d00a03", ...links, "PHPR:0c41d00c02", "KBD_:0c41d00303", "MOU_:0c41d00f13", "FDC0:0c41d00700", "COM1:0c41d00501"]);
  });
});
