// The chipset parts working together the way SeaBIOS and Linux drive them, plus the small ports.

import { describe, it, expect } from "vitest";
import { Harness, FakeCpu } from "./harness.ts";
import { InterruptSystem } from "../../src/emulator/devices/interrupts/interrupt-system.ts";
import { Pit8254, PIT_HZ } from "../../src/emulator/devices/timers/pit-8254.ts";
import { RtcCmos } from "../../src/emulator/devices/timers/rtc-cmos.ts";
import { SystemPorts } from "../../src/emulator/devices/chipset/system-ports.ts";
import { DebugExit } from "../../src/emulator/devices/debug/debug-exit.ts";
import { Debugcon } from "../../src/emulator/devices/debug/debugcon.ts";

function build(apic: boolean) {
  const h = new Harness();
  const cpu = new FakeCpu();
  const sys = new InterruptSystem({ ctx: h.ctx, cpu, apic });
  h.irqSink = sys;
  const pit = new Pit8254(h.ctx);
  const rtc = new RtcCmos(h.ctx, { startTimeMs: Date.UTC(2025, 0, 1) });
  const ports = new SystemPorts(h.ctx, { pit });
  return { h, cpu, sys, pit, rtc, ports };
}

function initPic(h: Harness): void {
  for (const [cmd, data, base, cascade] of [[0x20, 0x21, 0x08, 4], [0xa0, 0xa1, 0x70, 2]]) {
    h.io.out8(cmd, 0x11);
    h.io.out8(data, base);
    h.io.out8(data, cascade);
    h.io.out8(data, 0x01);
  }
}

describe("PC interrupt flows", () => {
  it("8259-only PC: PIT at HZ=250 and RTC at 1024 Hz reach the CPU at exact rates, no spurious", () => {
    const { h, cpu, sys, pit } = build(false);
    initPic(h);
    h.io.out8(0x21, 0xfa); // IRQ 0 and cascade
    h.io.out8(0xa1, 0xfe); // IRQ 8
    h.io.out8(0x43, 0x34);
    h.io.out8(0x40, 4773 & 0xff);
    h.io.out8(0x40, 4773 >> 8);
    h.io.out8(0x70, 0x0b);
    h.io.out8(0x71, 0x42); // PIE
    const seen = new Map<number, number>();
    h.runFor(2e9 + 1000, () => {
      while (cpu.intr) {
        const v = sys.acknowledgeInterrupt();
        seen.set(v, (seen.get(v) ?? 0) + 1);
        if (v === 0x70) {
          h.io.out8(0x70, 0x0c);
          h.io.in8(0x71);
          h.io.out8(0xa0, 0x20);
        }
        h.io.out8(0x20, 0x20);
      }
    });
    expect(seen.get(0x08)).toBe(Math.floor(2e9 / ((4773 * 1e9) / PIT_HZ)));
    expect(seen.get(0x70)).toBe(2048);
    expect(seen.size).toBe(2);
    expect(sys.counters.emptyAcknowledges).toBe(0);
    expect(sys.pic.counters.spuriousMaster + sys.pic.counters.spuriousSlave).toBe(0);
    expect(pit.counters.missedIrqEdges).toBe(0);
  });

  it("APIC PC, Linux style: PIT via I/O APIC pin 2 and the LAPIC timer both at 250 Hz", () => {
    const { h, cpu, sys } = build(true);
    initPic(h);
    h.io.out8(0x21, 0xff);
    h.io.out8(0xa1, 0xff);
    const lw = (o: number, v: number) => h.memory.write32(0xfee00000 + o, v);
    lw(0xf0, 0x1ff);
    lw(0x350, 0x10700);
    lw(0x360, 0x400);
    h.memory.write32(0xfec00000, 0x15); // pin 2 high dword
    h.memory.write32(0xfec00010, 0);
    h.memory.write32(0xfec00000, 0x14); // pin 2 low dword
    h.memory.write32(0xfec00010, 0x30);
    h.io.out8(0x43, 0x34);
    h.io.out8(0x40, 4773 & 0xff);
    h.io.out8(0x40, 4773 >> 8);
    lw(0x3e0, 0x3);
    lw(0x320, 0x200ec);
    lw(0x380, 25_000); // 25000 * 160 ns = 4 ms
    const seen = new Map<number, number>();
    h.runFor(1e9 + 1000, () => {
      while (cpu.intr) {
        const v = sys.acknowledgeInterrupt();
        seen.set(v, (seen.get(v) ?? 0) + 1);
        lw(0xb0, 0);
      }
    });
    expect(seen.get(0x30)).toBe(Math.floor(1e9 / ((4773 * 1e9) / PIT_HZ)));
    expect(seen.get(0xec)).toBe(250);
    expect(seen.size).toBe(2);
    expect(sys.counters.perLine[0]).toBe(seen.get(0x30));
    expect(sys.counters.emptyAcknowledges).toBe(0);
  });

  it("LAPIC timer calibrates against the PIT the way Linux measures it", () => {
    const { h, sys } = build(true);
    const lw = (o: number, v: number) => h.memory.write32(0xfee00000 + o, v);
    const lr = (o: number) => h.memory.read32(0xfee00000 + o) >>> 0;
    lw(0xf0, 0x1ff);
    lw(0x3e0, 0x3);
    lw(0x320, 0x100ec);
    lw(0x380, 0xffffffff);
    h.io.out8(0x43, 0x34);
    h.io.out8(0x40, 4773 & 0xff);
    h.io.out8(0x40, 4773 >> 8);
    const startCount = lr(0x390);
    h.runUntil(h.now + 1); // first PIT edge comes 4 ms later
    const ticks: number[] = [];
    let last = h.rising(0).length;
    h.runFor(101e6, () => {
      const n = h.rising(0).length;
      if (n !== last) {
        last = n;
        ticks.push(lr(0x390));
      }
    });
    expect(ticks.length).toBe(25); // LAPIC_CAL_LOOPS at HZ=250
    const delta = ticks[0] - ticks[24];
    const busHz = (delta * 16 * 250) / 24;
    expect(Math.abs(busHz - 100e6) / 100e6).toBeLessThan(1e-4);
    expect(startCount).toBe(0xffffffff);
    expect(sys.counters.delivered).toBe(0);
  });
});

describe("system ports", () => {
  it("port 0x92 drives A20 and requests a reset on a 0-to-1 of bit 0", () => {
    const { h } = build(false);
    expect(h.memory.a20Enabled).toBe(true);
    h.io.out8(0x92, 0x00);
    expect(h.memory.a20Enabled).toBe(false);
    expect(h.io.in8(0x92) & 0x02).toBe(0);
    h.io.out8(0x92, 0x02);
    expect(h.memory.a20Enabled).toBe(true);
    expect(h.io.in8(0x92)).toBe(0x02);
    h.memory.setA20(false); // e.g. via the keyboard controller
    expect(h.io.in8(0x92) & 0x02).toBe(0);
    h.io.out8(0x92, 0x03);
    expect(h.resets).toEqual(["port 0x92 fast reset"]);
    expect(h.io.in8(0x92) & 0x01).toBe(0);
  });

  it("port 0x80 keeps the POST code", () => {
    const { h, ports } = build(false);
    const codes: number[] = [];
    ports.onPostCode = (c) => codes.push(c);
    h.io.out8(0x80, 0x55);
    h.io.out8(0x80, 0xaa);
    expect(h.io.in8(0x80)).toBe(0xaa);
    expect(codes).toEqual([0x55, 0xaa]);
  });

  it("port 0x61 keeps bits 0-3 and reports NMI sources clear", () => {
    const { h, pit } = build(false);
    h.io.out8(0x61, 0xff);
    expect(h.io.in8(0x61) & 0xcf).toBe(0x0f);
    expect(pit.gate2).toBe(true);
    h.io.out8(0x61, 0x0c);
    expect(pit.gate2).toBe(false);
  });
});

describe("QEMU debug devices", () => {
  it("isa-debug-exit powers off with status (v << 1) | 1 for every access size", () => {
    const h = new Harness();
    new DebugExit(h.ctx);
    h.io.out8(0xf4, 0x10);
    h.io.out16(0xf4, 0x1234);
    h.io.out32(0xf4, 0x80000000);
    expect(h.powerOffs).toEqual([
      { status: 0x21, reason: "isa-debug-exit 0x10" },
      { status: 0x2469, reason: "isa-debug-exit 0x1234" },
      { status: 0x100000001, reason: "isa-debug-exit 0x80000000" },
    ]);
    expect(h.io.counters.unclaimedWrites).toBe(0);
  });

  it("debugcon hands bytes to listeners and reads back 0xE9", () => {
    const h = new Harness();
    const con = new Debugcon(h.ctx);
    const out: number[] = [];
    con.onByte((b) => out.push(b));
    for (const c of "hi\n") h.io.out8(0xe9, c.charCodeAt(0));
    expect(String.fromCharCode(...out)).toBe("hi\n");
    expect(h.io.in8(0xe9)).toBe(0xe9);
    expect(con.bytesWritten).toBe(3);
  });
});

describe("NMI routing", () => {
  it("board NMIs honour the RTC's NMI enable bit and go through LINT1 when the APIC is on", () => {
    const h = new Harness();
    const cpu = new FakeCpu();
    let rtc: RtcCmos | null = null;
    const sys = new InterruptSystem({ ctx: h.ctx, cpu, apic: true, nmiMasked: () => rtc!.nmiMasked });
    rtc = new RtcCmos(h.ctx, { startTimeMs: 0 });
    sys.raiseNmi(); // LINT1 masked at reset
    expect(cpu.nmis).toBe(0);
    h.memory.write32(0xfee000f0, 0x1ff);
    h.memory.write32(0xfee00360, 0x400);
    sys.raiseNmi();
    expect(cpu.nmis).toBe(1);
    h.io.out8(0x70, 0x80);
    sys.raiseNmi();
    expect(cpu.nmis).toBe(1);
    expect(sys.counters.nmisMasked).toBe(1);
    h.io.out8(0x70, 0x00);
    sys.writeApicBaseMsr(0xfee00100); // APIC off: NMI pin goes straight to the CPU
    sys.raiseNmi();
    expect(cpu.nmis).toBe(2);
  });

  it("ISA IRQ 2 is redirected to IRQ 9 on both the 8259 and the I/O APIC", () => {
    const h = new Harness();
    const cpu = new FakeCpu();
    const sys = new InterruptSystem({ ctx: h.ctx, cpu, apic: true });
    h.memory.write32(0xfee000f0, 0x1ff);
    h.memory.write32(0xfec00000, 0x10 + 18);
    h.memory.write32(0xfec00010, 0x59);
    sys.setIrq(2, true);
    expect(sys.acknowledgeInterrupt()).toBe(0x59);
  });
});

describe("lost-tick reinjection for the system timer", () => {
  const PERIOD = (4773 * 1e9) / PIT_HZ;

  function pitHz250(h: Harness): void {
    h.io.out8(0x43, 0x34);
    h.io.out8(0x40, 4773 & 0xff);
    h.io.out8(0x40, 4773 >> 8);
  }

  it("8259 PC: ticks that arrive while the CPU has interrupts off are all delivered afterwards", () => {
    const { h, cpu, sys } = build(false);
    initPic(h);
    h.io.out8(0x21, 0xfe);
    pitHz250(h);
    let ifFlag = false;
    let delivered = 0;
    const service = () => {
      while (ifFlag && cpu.intr) {
        expect(sys.acknowledgeInterrupt()).toBe(0x08);
        h.io.out8(0x20, 0x20);
        delivered++;
      }
    };
    h.runFor(10.5 * PERIOD, service); // IF=0: ten ticks merge into one pending request
    ifFlag = true;
    h.runFor(0, service);
    expect(delivered).toBe(10);
    expect(sys.counters.timerReinjected).toBe(9);
    h.runFor(100 * PERIOD, service);
    expect(delivered).toBe(110);
    expect(sys.counters.timerDropped).toBe(0);
  });

  it("APIC PC: the same through I/O APIC pin 2, and the backlog is bounded", () => {
    const { h, cpu, sys } = build(true);
    const lw = (o: number, v: number) => h.memory.write32(0xfee00000 + o, v);
    lw(0xf0, 0x1ff);
    lw(0x350, 0x10700);
    h.memory.write32(0xfec00000, 0x14);
    h.memory.write32(0xfec00010, 0x30);
    pitHz250(h);
    let ifFlag = false;
    let delivered = 0;
    const service = () => {
      while (ifFlag && cpu.intr) {
        expect(sys.acknowledgeInterrupt()).toBe(0x30);
        lw(0xb0, 0);
        delivered++;
      }
    };
    h.runFor(2e9, service); // 2 s with interrupts off: 500 ticks, 1 pending + 250 kept
    ifFlag = true;
    h.runFor(0, service);
    expect(delivered).toBe(251);
    expect(sys.counters.timerDropped).toBe(Math.floor(2e9 / PERIOD) - 251);
  });

  it("a late machine tick still gets every PIT period to the CPU", () => {
    const { h, cpu, sys } = build(false);
    initPic(h);
    h.io.out8(0x21, 0xfe);
    pitHz250(h);
    let delivered = 0;
    const service = () => {
      while (cpu.intr) {
        sys.acknowledgeInterrupt();
        h.io.out8(0x20, 0x20);
        delivered++;
      }
    };
    h.tickDue();
    h.advance(5.5 * PERIOD); // one long slice without timer service
    h.runFor(0, service);
    expect(delivered).toBe(5);
    h.runFor(10 * PERIOD, service);
    expect(delivered).toBe(15);
  });

  it("a tick lost without an acknowledge (8259 re-initialized) does not hold up later ticks", () => {
    const { h, cpu, sys } = build(false);
    initPic(h);
    h.io.out8(0x21, 0xfe);
    pitHz250(h);
    h.runFor(1.5 * PERIOD); // one tick pending, not taken
    expect(cpu.intr).toBe(true);
    initPic(h); // ICW1 drops the latched edge
    h.io.out8(0x21, 0xfe);
    expect(cpu.intr).toBe(false);
    let delivered = 0;
    h.runFor(5 * PERIOD, () => {
      while (cpu.intr) {
        sys.acknowledgeInterrupt();
        h.io.out8(0x20, 0x20);
        delivered++;
      }
    });
    expect(delivered).toBe(5);
  });

  it("keeps no backlog while IRQ 0 has no live route, so unmasking causes no burst", () => {
    const { h, cpu, sys } = build(false);
    initPic(h);
    h.io.out8(0x21, 0xff); // IRQ 0 masked
    pitHz250(h);
    h.runFor(49.5 * PERIOD);
    h.io.out8(0x21, 0xfe);
    let delivered = 0;
    h.runFor(0.5 * PERIOD, () => {
      while (cpu.intr) {
        sys.acknowledgeInterrupt();
        h.io.out8(0x20, 0x20);
        delivered++;
      }
    });
    expect(delivered).toBe(1); // the latched edge only
    expect(sys.counters.timerReinjected).toBe(0);
  });

  it("LAPIC periodic timer: merged expiries are re-posted one by one as the CPU takes them", () => {
    const { h, cpu, sys } = build(true);
    const lw = (o: number, v: number) => h.memory.write32(0xfee00000 + o, v);
    lw(0xf0, 0x1ff);
    lw(0x3e0, 0xb);
    lw(0x320, 0x200ec);
    lw(0x380, 400_000); // 4 ms
    let ifFlag = false;
    let delivered = 0;
    const service = () => {
      while (ifFlag && cpu.intr) {
        expect(sys.acknowledgeInterrupt()).toBe(0xec);
        lw(0xb0, 0);
        delivered++;
      }
    };
    h.runFor(41e6, service); // 10 expiries while "IF=0"
    ifFlag = true;
    h.runFor(0, service);
    expect(delivered).toBe(10);
    expect(sys.lapic!.timerReinjected).toBe(9);
    h.runFor(1e9, service);
    expect(delivered).toBe(260);
    // Reprogramming discards the backlog.
    ifFlag = false;
    h.runFor(20e6, service);
    lw(0x380, 400_000);
    ifFlag = true;
    h.runFor(0, service);
    expect(delivered).toBe(261);
  });
});
