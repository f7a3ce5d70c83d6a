import { describe, it, expect, beforeEach } from "vitest";
import { Harness } from "../chipset/harness.ts";
import { RtcCmos, RTC_UIP_WINDOW_NS, daysFromCivil } from "../../src/emulator/devices/timers/rtc-cmos.ts";

let h: Harness;
let rtc: RtcCmos;
const START = Date.UTC(2024, 1, 29, 23, 59, 58, 250); // Thursday 2024-02-29 23:59:58.250

function rd(index: number): number {
  h.io.out8(0x70, index);
  return h.io.in8(0x71);
}
function wr(index: number, value: number): void {
  h.io.out8(0x70, index);
  h.io.out8(0x71, value);
}
function timeRegs(): number[] {
  return [0, 2, 4, 6, 7, 8, 9, 0x32].map(rd);
}

beforeEach(() => {
  h = new Harness();
  h.advance(5_000_000);
  rtc = new RtcCmos(h.ctx, { startTimeMs: START });
});

describe("RTC time keeping", () => {
  it("shows the start time in BCD 24-hour format with century and day of week", () => {
    expect(rd(0x0a)).toBe(0x26);
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x0d)).toBe(0x80);
    expect(timeRegs()).toEqual([0x58, 0x59, 0x23, 5, 0x29, 0x02, 0x24, 0x20]);
  });

  it("advances with virtual time across a leap day and a month end", () => {
    h.advance(1.7e9); // 23:59:59.950
    expect(rd(0)).toBe(0x59);
    h.advance(0.1e9); // 00:00:00.050 on Friday 1 March
    expect(timeRegs()).toEqual([0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20]);
  });

  it("rolls the century", () => {
    const h2 = new Harness();
    const r2 = new RtcCmos(h2.ctx, { startTimeMs: Date.UTC(2099, 11, 31, 23, 59, 59, 500) });
    h2.advance(0.6e9);
    h2.io.out8(0x70, 0x09);
    expect(h2.io.in8(0x71)).toBe(0x00);
    h2.io.out8(0x70, 0x32);
    expect(h2.io.in8(0x71)).toBe(0x21);
    expect(r2.currentTimeMs()).toBe(Date.UTC(2100, 0, 1));
  });

  it("defaults to the host's UTC time", () => {
    const h2 = new Harness();
    const before = Date.now();
    const r2 = new RtcCmos(h2.ctx);
    expect(Math.abs(r2.currentTimeMs() - before)).toBeLessThan(2000);
  });

  it("encodes binary and 12-hour formats and re-encodes the held time when the format changes", () => {
    wr(0x0b, 0x04); // binary, 12-hour
    expect(rd(4)).toBe(0x80 | 11); // 11 PM
    expect(rd(0)).toBe(58);
    expect(rd(9)).toBe(24);
    expect(rd(0x32)).toBe(20);
    h.advance(2e9); // midnight: 12 AM
    expect(rd(4)).toBe(12);
    wr(0x0b, 0x86); // SET, binary, 24h
    expect(rd(4)).toBe(0);
    wr(0x0b, 0x80); // SET, BCD, 12h: held time re-encoded
    expect(rd(4)).toBe(0x12);
    expect(rd(0)).toBe(0x00);
  });

  it("holds time while SET is on and continues from the written time", () => {
    wr(0x0b, 0x82);
    expect(rd(0x0a) & 0x80).toBe(0); // SET clears UIP
    wr(0, 0x30);
    wr(2, 0x15);
    wr(4, 0x08);
    wr(7, 0x04);
    wr(8, 0x07);
    wr(9, 0x26);
    h.advance(10e9);
    expect(rd(0)).toBe(0x30); // held
    wr(0x0b, 0x02);
    h.advance(1.5e9);
    expect(timeRegs()).toEqual([0x31, 0x15, 0x08, 0x07, 0x04, 0x07, 0x26, 0x20]); // Saturday 2026-07-04 08:15:31
    expect(rtc.currentTimeMs()).toBe(Date.UTC(2026, 6, 4, 8, 15, 31));
  });

  it("applies a time register written while running at once, keeping the update phase", () => {
    wr(2, 0x00); // minutes := 00
    expect(rd(2)).toBe(0x00);
    expect(rd(4)).toBe(0x23);
    h.advance(1.75e9 - 1); // just before the next update (phase .250 from the start time)
    expect(rd(0)).toBe(0x59);
    h.advance(2);
    expect(rd(0)).toBe(0x00);
    expect(rd(2)).toBe(0x01);
  });

  it("sets UIP in the 2.228 ms before each update", () => {
    // Updates complete at .250 past each second (start phase).
    h.advance(0.75e9 - RTC_UIP_WINDOW_NS - 1000);
    expect(rd(0x0a) & 0x80).toBe(0);
    h.advance(2000);
    expect(rd(0x0a) & 0x80).toBe(0x80);
    expect(rd(0)).toBe(0x58); // registers still show the old second
    h.advance(RTC_UIP_WINDOW_NS);
    expect(rd(0x0a) & 0x80).toBe(0);
    expect(rd(0)).toBe(0x59);
  });

  it("divider reset stops the clock; leaving it makes the first update 500 ms later", () => {
    wr(0x0a, 0x76);
    h.advance(5e9);
    expect(rd(0)).toBe(0x58);
    expect(rd(0x0a) & 0x80).toBe(0);
    wr(0x0a, 0x26);
    h.advance(0.499e9);
    expect(rd(0)).toBe(0x58);
    h.advance(0.002e9);
    expect(rd(0)).toBe(0x59);
  });

  it("computes days from civil dates like Date.UTC", () => {
    for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [2100, 3, 1], [1999, 12, 31], [2024, 14, 1], [2024, 1, 45]]) {
      expect(daysFromCivil(y, m, d)).toBe(Date.UTC(y, m - 1, d) / 86400000);
    }
  });
});

describe("RTC interrupts", () => {
  it("periodic interrupt at 1024 Hz, re-armed by reading register C", () => {
    wr(0x0b, 0x42); // PIE
    let serviced = 0;
    h.runFor(1e9 + 1000, () => {
      // An interrupt handler that acknowledges by reading C whenever IRQ 8 is high.
      const last = h.irqEvents.filter((e) => e.line === 8).at(-1);
      if (last?.level) {
        expect(rd(0x0c) & 0xc0).toBe(0xc0);
        serviced++;
      }
    });
    expect(serviced).toBe(1024);
    expect(h.rising(8).length).toBe(1024);
  });

  it("holds IRQ 8 high until C is read, producing no further edges", () => {
    wr(0x05, 0x12); // alarm at noon, so midnight does not match
    wr(0x0a, 0x2f); // 2 Hz
    wr(0x0b, 0x42);
    h.runFor(3e9);
    expect(h.rising(8).length).toBe(1);
    expect(rd(0x0c)).toBe(0xc0 | 0x10); // PF and (unenabled) UF seen too
    expect(h.irqEvents.at(-1)).toMatchObject({ line: 8, level: false });
  });

  it("sets PF without PIE but raises no interrupt", () => {
    wr(0x0a, 0x23); // 8192 Hz
    h.advance(1e6);
    expect(rd(0x0c)).toBe(0x40);
    expect(rd(0x0c)).toBe(0x00);
    expect(h.rising(8).length).toBe(0);
  });

  it("update-ended interrupt once per second", () => {
    wr(0x0b, 0x12); // UIE
    const times: number[] = [];
    const t0 = h.now;
    h.runFor(3.5e9, () => {
      const last = h.irqEvents.filter((e) => e.line === 8).at(-1);
      if (last?.level) {
        expect(rd(0x0c) & 0x90).toBe(0x90); // PF may be set too: the 1024 Hz divider runs regardless
        times.push(Math.round((last.atNs - t0) / 1e6));
      }
    });
    expect(times).toEqual([750, 1750, 2750]);
  });

  it("alarm interrupt at the matching second, with don't-care fields", () => {
    wr(1, 0x03); // 00:00:03
    wr(3, 0x00);
    wr(5, 0x00);
    wr(0x0b, 0x22); // AIE
    const t0 = h.now;
    h.runFor(10e9);
    expect(h.rising(8).length).toBe(1);
    expect(Math.round((h.rising(8)[0].atNs - t0) / 1e6)).toBe(4750); // 23:59:58.25 + 4.75 s
    expect(rd(0x0c) & 0xa0).toBe(0xa0);
    // Every second: all three don't-care.
    wr(1, 0xc0);
    wr(3, 0xc0);
    wr(5, 0xff);
    h.irqEvents.length = 0;
    h.runFor(3e9, () => {
      if (h.irqEvents.at(-1)?.level) rd(0x0c);
    });
    expect(h.rising(8).length).toBe(3);
  });

  it("finds an alarm that happened while nothing was enabled when C is read", () => {
    wr(1, 0x00);
    wr(3, 0x00);
    wr(5, 0x00); // midnight
    h.advance(100e9);
    expect(rd(0x0c) & 0x30).toBe(0x30);
  });

  it("SET clears UIE and stops update interrupts", () => {
    wr(0x0b, 0x12);
    wr(0x0b, 0x92);
    expect(rd(0x0b)).toBe(0x82);
    h.runFor(3e9);
    expect(h.rising(8).length).toBe(0);
  });

  it("reset clears enables and flags but keeps NVRAM and time", () => {
    wr(0x0b, 0x72);
    wr(0x0f, 0x0a); // shutdown status byte
    h.runFor(2e9);
    expect(h.rising(8).length).toBe(1);
    rtc.reset();
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x0c)).toBe(0x00);
    expect(rd(0x0f)).toBe(0x0a);
    expect(rd(0)).toBe(0x00);
    expect(h.irqEvents.at(-1)).toMatchObject({ line: 8, level: false });
  });
});

describe("CMOS NVRAM", () => {
  it("index port keeps 7 bits and the NMI mask; 0x70 reads 0xFF", () => {
    h.io.out8(0x70, 0x80 | 0x40);
    h.io.out8(0x71, 0x5a);
    expect(rtc.nmiMasked).toBe(true);
    h.io.out8(0x70, 0x40);
    expect(rtc.nmiMasked).toBe(false);
    expect(h.io.in8(0x71)).toBe(0x5a);
    expect(h.io.in8(0x70)).toBe(0xff);
    wr(0x0c, 0xff);
    wr(0x0d, 0x00);
    expect(rd(0x0d)).toBe(0x80);
  });

  it("fills memory sizes the way SeaBIOS reads them", () => {
    rtc.setMemorySizes(32 << 20);
    expect([rd(0x15), rd(0x16)]).toEqual([0x80, 0x02]);
    expect([rd(0x17), rd(0x18)]).toEqual([0x00, 0x7c]);
    expect([rd(0x30), rd(0x31)]).toEqual([0x00, 0x7c]);
    expect([rd(0x34), rd(0x35)]).toEqual([0x00, 0x01]);
    rtc.setMemorySizes(128 << 20, 1 << 30);
    expect([rd(0x17), rd(0x18)]).toEqual([0xff, 0xff]);
    expect([rd(0x34), rd(0x35)]).toEqual([0x00, 0x07]);
    expect([rd(0x5b), rd(0x5c), rd(0x5d)]).toEqual([0x00, 0x40, 0x00]);
    expect(() => rtc.setMemorySizes(1000)).toThrow(/RAM size/);
  });

  it("fills floppy types, equipment byte, boot order and checksum", () => {
    rtc.setFloppyTypes("1.44M");
    expect(rd(0x10)).toBe(0x40);
    expect(rd(0x14)).toBe(0x07);
    rtc.setFloppyTypes("1.44M", "720K");
    expect(rd(0x10)).toBe(0x43);
    expect(rd(0x14)).toBe(0x47);
    rtc.setFloppyTypes("none");
    expect(rd(0x14)).toBe(0x06);
    rtc.setBootOrder(["cdrom", "disk", "floppy"]);
    expect(rd(0x3d)).toBe(0x23);
    expect(rd(0x38)).toBe(0x10);
    rtc.setBootOrder(["floppy"], false);
    expect(rd(0x3d)).toBe(0x01);
    expect(rd(0x38)).toBe(0x01);
    expect(() => rtc.setBootOrder(["disk", "disk", "disk", "disk"])).toThrow(/at most 3/);
    rtc.setMemorySizes(64 << 20);
    rtc.setFloppyTypes("1.44M");
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += rd(i);
    expect((rd(0x2e) << 8) | rd(0x2f)).toBe(sum);
    rtc.setByte(0x2d, 0x11);
    expect((rd(0x2e) << 8) | rd(0x2f)).toBe(sum + 0x11 - 0); // setByte keeps the checksum right
    expect(() => rtc.setByte(128, 0)).toThrow(/index/);
    expect(() => rtc.setByte(1, 256)).toThrow(/byte/);
  });

  it("saves and restores, continuing identically", () => {
    wr(0x0b, 0x42);
    wr(0x20, 0x99);
    h.runFor(0.3e9);
    const saved = structuredClone(rtc.saveState());
    const clock = h.clock.saveState();
    const h2 = new Harness();
    h2.clock.loadState(clock);
    const r2 = new RtcCmos(h2.ctx, { startTimeMs: 0 });
    r2.loadState(saved);
    expect(r2.saveState()).toEqual(rtc.saveState());
    h.advance(10e9);
    h2.advance(10e9);
    const regs = (hh: Harness) =>
      [0, 2, 4, 6, 7, 8, 9, 0x20, 0x32].map((i) => {
        hh.io.out8(0x70, i);
        return hh.io.in8(0x71);
      });
    expect(regs(h2)).toEqual(regs(h));
    expect(() => r2.loadState({ ...saved, version: 9 })).toThrow(/version/);
  });
});
