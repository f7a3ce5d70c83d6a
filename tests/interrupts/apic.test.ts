import { describe, it, expect, beforeEach } from "vitest";
import { Harness, FakeCpu } from "../chipset/harness.ts";
import { InterruptSystem } from "../../src/emulator/devices/interrupts/interrupt-system.ts";
import { LAPIC_BUS_HZ } from "../../src/emulator/devices/interrupts/local-apic.ts";

const LAPIC = 0xfee00000;
const IOAPIC = 0xfec00000;
let h: Harness;
let cpu: FakeCpu;
let sys: InterruptSystem;

const lr = (off: number): number => h.memory.read32(LAPIC + off) >>> 0;
const lw = (off: number, v: number): void => h.memory.write32(LAPIC + off, v);
function ioWrite(index: number, v: number): void {
  h.memory.write32(IOAPIC, index);
  h.memory.write32(IOAPIC + 0x10, v);
}
function ioRead(index: number): number {
  h.memory.write32(IOAPIC, index);
  return h.memory.read32(IOAPIC + 0x10) >>> 0;
}
/** Programs redirection entry `pin`. */
function route(pin: number, low: number, destination = 0): void {
  ioWrite(0x11 + 2 * pin, destination << 24);
  ioWrite(0x10 + 2 * pin, low);
}
function irrBit(v: number): boolean {
  return (lr(0x200 + (v >> 5) * 0x10) & (1 << (v & 31))) !== 0;
}
function isrBit(v: number): boolean {
  return (lr(0x100 + (v >> 5) * 0x10) & (1 << (v & 31))) !== 0;
}
function initPic(): void {
  for (const [cmd, data, base, cascade] of [[0x20, 0x21, 0x08, 4], [0xa0, 0xa1, 0x70, 2]]) {
    h.io.out8(cmd, 0x11);
    h.io.out8(data, base);
    h.io.out8(data, cascade);
    h.io.out8(data, 0x01);
  }
}
/** Linux's set-up when it switches to the I/O APIC: APIC on, LINT0 masked ExtINT, LINT1 NMI. */
function linuxApicSetup(): void {
  lw(0xf0, 0x1ff);
  lw(0x350, 0x10700);
  lw(0x360, 0x400);
  lw(0x80, 0);
}

beforeEach(() => {
  h = new Harness();
  cpu = new FakeCpu();
  sys = new InterruptSystem({ ctx: h.ctx, cpu, apic: true });
  h.irqSink = sys;
});

describe("local APIC registers", () => {
  it("has the documented reset values", () => {
    expect(lr(0x20)).toBe(0);
    expect(lr(0x30)).toBe(0x00050014);
    expect(lr(0x80)).toBe(0);
    expect(lr(0xe0)).toBe(0xffffffff);
    expect(lr(0xf0)).toBe(0xff);
    expect(lr(0x320)).toBe(0x10000);
    expect(lr(0x350)).toBe(0x700); // virtual wire: ExtINT, unmasked
    expect(lr(0x360)).toBe(0x10000);
    expect(lr(0x370)).toBe(0x10000);
    expect(sys.readApicBaseMsr()).toBe(0xfee00900);
  });

  it("passes the 8259 through LINT0 (ExtINT) before and after SeaBIOS's APIC set-up", () => {
    initPic();
    sys.setIrq(1, true);
    sys.setIrq(1, false);
    expect(cpu.intr).toBe(true);
    expect(sys.acknowledgeInterrupt()).toBe(0x09);
    expect(cpu.intr).toBe(false);
    h.io.out8(0x20, 0x20);
    // SeaBIOS: enable, LINT0 ExtINT level, LINT1 NMI level, INIT + SIPI to all others.
    lw(0xf0, lr(0xf0) | 0x100);
    lw(0x350, 0x8700);
    lw(0x360, 0x8400);
    lw(0x300, 0x000c4500);
    lw(0x300, 0x000c4600 | 0x9f);
    expect(lr(0x300) & 0x1000).toBe(0); // delivery idle
    expect(cpu.nmis).toBe(0);
    expect(cpu.intr).toBe(false);
    sys.setIrq(1, true);
    sys.setIrq(1, false);
    expect(cpu.intr).toBe(true);
    expect(sys.acknowledgeInterrupt()).toBe(0x09);
  });

  it("delivers ISA IRQ 0 through I/O APIC pin 2 as a fixed vector and EOIs it", () => {
    initPic();
    h.io.out8(0x21, 0xff);
    linuxApicSetup();
    route(2, 0x30);
    sys.setIrq(0, true);
    sys.setIrq(0, false);
    expect(cpu.intr).toBe(true);
    expect(irrBit(0x30)).toBe(true);
    expect(sys.acknowledgeInterrupt()).toBe(0x30);
    expect(isrBit(0x30)).toBe(true);
    expect(irrBit(0x30)).toBe(false);
    expect(cpu.intr).toBe(false);
    lw(0xb0, 0);
    expect(isrBit(0x30)).toBe(false);
    expect(sys.counters.perVector[0x30]).toBe(1);
    expect(sys.counters.perLine[0]).toBe(1);
  });

  it("blocks vectors at or below the task priority class and computes PPR", () => {
    linuxApicSetup();
    route(5, 0x45);
    lw(0x80, 0x40);
    sys.setIrq(5, true);
    sys.setIrq(5, false);
    expect(irrBit(0x45)).toBe(true);
    expect(cpu.intr).toBe(false);
    expect(lr(0xa0)).toBe(0x40);
    lw(0x80, 0x3f);
    expect(cpu.intr).toBe(true);
    expect(sys.acknowledgeInterrupt()).toBe(0x45);
    expect(lr(0xa0)).toBe(0x40); // in-service class 4 beats TPR 0x3f
  });

  it("nests only strictly higher priority classes", () => {
    linuxApicSetup();
    route(3, 0x51);
    route(4, 0x5e);
    route(6, 0x61);
    sys.setIrq(3, true);
    expect(sys.acknowledgeInterrupt()).toBe(0x51);
    sys.setIrq(4, true);
    expect(cpu.intr).toBe(false); // same class 5
    sys.setIrq(6, true);
    expect(sys.acknowledgeInterrupt()).toBe(0x61);
    lw(0xb0, 0); // EOI ends 0x61
    expect(isrBit(0x61)).toBe(false);
    expect(cpu.intr).toBe(false);
    lw(0xb0, 0); // EOI ends 0x51
    expect(sys.acknowledgeInterrupt()).toBe(0x5e);
  });

  it("level-triggered entries: remote IRR, TMR, EOI broadcast and re-delivery", () => {
    linuxApicSetup();
    route(10, 0xa000 | 0x41); // level, active low (polarity is only stored)
    sys.setIrq(10, true);
    expect(ioRead(0x10 + 20) & 0x4000).toBe(0x4000); // remote IRR
    expect(sys.acknowledgeInterrupt()).toBe(0x41);
    expect((lr(0x180 + 2 * 0x10) >>> 1) & 1).toBe(1); // TMR bit 0x41
    lw(0xb0, 0); // line still asserted: sent again
    expect(irrBit(0x41)).toBe(true);
    expect(sys.acknowledgeInterrupt()).toBe(0x41);
    sys.setIrq(10, false);
    lw(0xb0, 0);
    expect(ioRead(0x10 + 20) & 0x4000).toBe(0);
    expect(irrBit(0x41)).toBe(false);
    expect(ioapicDeliveries(10)).toBe(2);
  });

  it("clears a stuck remote IRR when the entry is switched to edge and back", () => {
    linuxApicSetup();
    route(11, 0x8000 | 0x42);
    sys.setIrq(11, true);
    expect(ioRead(0x10 + 22) & 0x4000).toBe(0x4000);
    route(11, 0x10000 | 0x42); // masked edge
    expect(ioRead(0x10 + 22) & 0x4000).toBe(0);
    route(11, 0x8000 | 0x42); // unmasked level, line still asserted: delivered again
    expect(ioRead(0x10 + 22) & 0x4000).toBe(0x4000);
  });

  it("loses edges that arrive while masked; delivers an asserted level when unmasked", () => {
    linuxApicSetup();
    route(7, 0x10000 | 0x37);
    sys.setIrq(7, true);
    sys.setIrq(7, false);
    route(7, 0x37);
    expect(cpu.intr).toBe(false);
    route(9, 0x18000 | 0x39);
    sys.setIrq(9, true);
    expect(cpu.intr).toBe(false);
    route(9, 0x8000 | 0x39);
    expect(sys.acknowledgeInterrupt()).toBe(0x39);
  });

  it("matches physical, logical flat and logical cluster destinations", () => {
    linuxApicSetup();
    lw(0xd0, 0x01000000); // logical ID bit 0
    route(12, 0x800 | 0x70, 0x01); // logical
    sys.setIrq(12, true);
    expect(irrBit(0x70)).toBe(true);
    route(13, 0x800 | 0x71, 0x02); // another CPU's logical ID
    sys.setIrq(13, true);
    expect(irrBit(0x71)).toBe(false);
    route(14, 0x72, 0x01); // physical ID 1: not us
    sys.setIrq(14, true);
    expect(irrBit(0x72)).toBe(false);
    lw(0xe0, 0x0fffffff); // cluster model
    lw(0xd0, 0x21000000); // cluster 2, member 1
    route(15, 0x800 | 0x73, 0x21);
    sys.setIrq(15, true);
    expect(irrBit(0x73)).toBe(true);
    route(16, 0x800 | 0x74, 0x11);
    sys.setIrq(16, true);
    expect(irrBit(0x74)).toBe(false);
    route(17, 0x100 | 0x75, 0xff); // lowest priority, broadcast
    sys.setIrq(17, true);
    expect(irrBit(0x75)).toBe(true);
  });

  it("sends self-IPIs, NMIs to self, and reports illegal vectors in the ESR", () => {
    linuxApicSetup();
    lw(0x300, 0x00040000 | 0x50); // self
    expect(irrBit(0x50)).toBe(true);
    lw(0x310, 0);
    lw(0x300, 0x00000051); // fixed, physical, to ID 0
    expect(irrBit(0x51)).toBe(true);
    lw(0x300, 0x00080000 | 0x52); // all including self
    expect(irrBit(0x52)).toBe(true);
    lw(0x300, 0x000c0000 | 0x53); // all excluding self
    expect(irrBit(0x53)).toBe(false);
    lw(0x300, 0x00040400); // NMI to self
    expect(cpu.nmis).toBe(1);
    lw(0x370, 0xfe); // error LVT unmasked, vector 0xfe
    lw(0x300, 0x00040005); // illegal vector
    lw(0x280, 0);
    expect(lr(0x280)).toBe(0x20);
    expect(irrBit(0xfe)).toBe(true);
    lw(0x280, 0);
    expect(lr(0x280)).toBe(0);
  });

  it("software disable masks every LVT and holds delivery; LVT writes stay masked while disabled", () => {
    linuxApicSetup();
    lw(0x320, 0x20);
    route(5, 0x45);
    lw(0xf0, 0xff);
    expect(lr(0x320)).toBe(0x10020);
    expect(lr(0x360)).toBe(0x10400);
    lw(0x370, 0x33);
    expect(lr(0x370)).toBe(0x10033);
    sys.setIrq(5, true);
    expect(irrBit(0x45)).toBe(true);
    expect(cpu.intr).toBe(false);
    lw(0xf0, 0x1ff);
    expect(cpu.intr).toBe(true);
  });

  it("APIC base MSR: global disable hides the APIC and gives INTR to the 8259; relocation moves it", () => {
    initPic();
    linuxApicSetup(); // LINT0 masked: 8259 cut off
    sys.setIrq(1, true);
    expect(cpu.intr).toBe(false);
    sys.writeApicBaseMsr(0xfee00000 | 0x100); // enable bit clear
    expect(cpu.intr).toBe(true);
    expect(h.memory.read32(LAPIC + 0x30)).toBe(-1); // nothing decodes the range
    expect(sys.acknowledgeInterrupt()).toBe(0x09);
    sys.writeApicBaseMsr(0xfed00000 | 0x800);
    expect(sys.readApicBaseMsr()).toBe(0xfed00900);
    expect(h.memory.read32(0xfed00030) >>> 0).toBe(0x00050014);
    expect(h.memory.read32(0xfed000f0) >>> 0).toBe(0xff); // back in reset state
  });

  it("ExtINT through I/O APIC pin 0 carries the 8259 when LINT0 is masked", () => {
    initPic();
    linuxApicSetup();
    sys.setIrq(3, true);
    sys.setIrq(3, false);
    expect(cpu.intr).toBe(false);
    route(0, 0x700);
    expect(cpu.intr).toBe(true);
    expect(sys.acknowledgeInterrupt()).toBe(0x0b);
  });

  it("routes PCI lines 16-23 to the I/O APIC only and rejects unknown lines", () => {
    initPic();
    linuxApicSetup();
    route(19, 0x8000 | 0x63);
    sys.setIrq(19, true);
    expect(sys.acknowledgeInterrupt()).toBe(0x63);
    expect(sys.pic.output).toBe(false);
    expect(() => sys.setIrq(24, true)).toThrow(/IRQ line 24/);
    expect(() => sys.setIrq(-1, true)).toThrow(/IRQ line/);
  });

  it("I/O APIC identification registers", () => {
    expect(ioRead(1)).toBe(0x00170011);
    ioWrite(0, 0x0f000000 | 0x00ffffff);
    expect(ioRead(0)).toBe(0x0f000000);
    expect(ioRead(2)).toBe(0x0f000000);
    expect(ioRead(0x10)).toBe(0x10000);
    h.memory.write8(IOAPIC, 0x12); // byte write to IOREGSEL
    expect(h.memory.read8(IOAPIC)).toBe(0x12);
  });
});

function ioapicDeliveries(pin: number): number {
  return sys.ioapic!.deliveries[pin];
}

describe("local APIC timer", () => {
  it("one-shot counts down from virtual time at the bus clock over the divider", () => {
    linuxApicSetup();
    lw(0x3e0, 0x3); // divide by 16
    lw(0x320, 0xef); // one-shot, vector 0xef
    const tickNs = (1e9 / LAPIC_BUS_HZ) * 16;
    lw(0x380, 1000);
    expect(lr(0x390)).toBe(1000);
    h.runFor(250 * tickNs + 1);
    expect(lr(0x390)).toBe(750);
    expect(irrBit(0xef)).toBe(false);
    h.runFor(750 * tickNs);
    expect(irrBit(0xef)).toBe(true);
    expect(lr(0x390)).toBe(0);
    h.runFor(1e6);
    expect(sys.lapic!.timerFires).toBe(1);
  });

  it("periodic mode fires at the programmed rate and reloads", () => {
    linuxApicSetup();
    lw(0x3e0, 0xb); // divide by 1
    lw(0x320, 0x200ef);
    lw(0x380, 400_000); // 4 ms at 100 MHz = 250 Hz
    let handled = 0;
    h.runFor(1e9 + 1000, () => {
      while (cpu.intr) {
        expect(sys.acknowledgeInterrupt()).toBe(0xef);
        lw(0xb0, 0);
        handled++;
      }
    });
    expect(handled).toBe(250);
    h.runFor(1e6 + 1);
    expect(lr(0x390)).toBe(299_900); // 1.001001 s = 250 periods + 100_100 ticks
  });

  it("divide configuration encodings", () => {
    linuxApicSetup();
    lw(0x320, 0x10000 | 0xef);
    const cases: [number, number][] = [[0x0, 2], [0x1, 4], [0x2, 8], [0x3, 16], [0x8, 32], [0x9, 64], [0xa, 128], [0xb, 1]];
    for (const [dcr, div] of cases) {
      lw(0x3e0, dcr);
      lw(0x380, 100_000);
      h.advance(1000 * div * 10 + 1);
      expect(lr(0x390)).toBe(99_000);
    }
  });

  it("changing the divider keeps the current count and continues at the new rate", () => {
    linuxApicSetup();
    lw(0x3e0, 0xb);
    lw(0x320, 0x10000);
    lw(0x380, 10_000);
    h.advance(1000 * 10 + 1);
    lw(0x3e0, 0x0); // divide by 2
    expect(lr(0x390)).toBe(9000);
    h.advance(1000 * 20 + 1);
    expect(lr(0x390)).toBe(8000);
  });

  it("writing initial count 0 stops the timer; masked timers still count but do not interrupt", () => {
    linuxApicSetup();
    lw(0x3e0, 0xb);
    lw(0x320, 0x100ef);
    lw(0x380, 1000);
    h.runFor(20_000);
    expect(irrBit(0xef)).toBe(false);
    expect(sys.lapic!.timerFires).toBe(1);
    lw(0x320, 0x200ef);
    lw(0x380, 1000);
    lw(0x380, 0);
    h.runFor(100_000);
    expect(irrBit(0xef)).toBe(false);
    expect(lr(0x390)).toBe(0);
  });

  it("clamps absurd periodic rates to 1 MHz", () => {
    linuxApicSetup();
    lw(0x3e0, 0xb);
    lw(0x320, 0x200ef);
    lw(0x380, 1); // 100 MHz
    h.runFor(1e6);
    expect(sys.lapic!.timerFires).toBeLessThanOrEqual(1001);
    expect(sys.lapic!.timerFires).toBeGreaterThan(900);
  });
});

describe("interrupt system state", () => {
  it("saves and restores mid-flight and pushes INTR to the CPU", () => {
    initPic();
    linuxApicSetup();
    route(2, 0x30);
    route(10, 0x8000 | 0x41);
    lw(0x3e0, 0x3);
    lw(0x320, 0x200ef);
    lw(0x380, 3_000); // 480 us period
    sys.setIrq(10, true);
    sys.acknowledgeInterrupt(); // 0x41 in service, remote IRR set
    sys.setIrq(10, false);
    sys.setIrq(0, true);
    sys.setIrq(0, false);
    h.runFor(3_333_333);
    const saved = structuredClone(sys.saveState());
    const clock = h.clock.saveState();

    const h2 = new Harness();
    const cpu2 = new FakeCpu();
    const sys2 = new InterruptSystem({ ctx: h2.ctx, cpu: cpu2, apic: true });
    h2.irqSink = sys2;
    h2.clock.loadState(clock);
    sys2.loadState(saved);
    expect(cpu2.intr).toBe(cpu.intr);
    expect(sys2.saveState()).toEqual(sys.saveState());
    const drain = (s: InterruptSystem, c: FakeCpu, out: number[]) => () => {
      while (c.intr) {
        out.push(s.acknowledgeInterrupt());
        s.lapic!.writeRegister(0xb0, 0);
      }
    };
    const a: number[] = [];
    const b: number[] = [];
    h.runFor(5e6, drain(sys, cpu, a));
    h2.runFor(5e6, drain(sys2, cpu2, b));
    expect(b).toEqual(a);
    expect(a.length).toBeGreaterThan(5);
    const noApic = new InterruptSystem({ ctx: new Harness().ctx, cpu: new FakeCpu(), apic: false });
    expect(() => noApic.loadState(saved)).toThrow(/APIC/);
  });
});
