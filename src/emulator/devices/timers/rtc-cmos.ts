// Motorola MC146818-compatible real-time clock with 128 bytes of battery-backed CMOS RAM (index port
// 0x70 with the NMI mask in bit 7, data port 0x71), interrupting on IRQ 8.
//
// The clock is not stepped. Its 1 Hz update cycle has a phase (`phaseNs`: update cycles complete at
// phaseNs + k * 1 s) and the RTC's time is `epochOffset + k` seconds since 1970 (UTC). The time
// registers are encoded from that on read while the clock runs, and decoded back into it when the
// guest writes them or ends a SET / divider-reset period. Interrupt flags are evaluated lazily over
// the interval since the last access, so nothing ticks unless the guest enabled an interrupt.
//
// The machine pre-fills the NVRAM the way SeaBIOS's QEMU build reads it: memory sizes, floppy types,
// equipment byte, boot order (0x3D / 0x38) and the standard checksum at 0x2E/0x2F.

import type { DeviceContext, Device } from "../../device.ts";
import type { TimedDevice } from "../../clock.ts";
import type { BootDevice } from "../../machine-config.ts";
import { StateError, type SavedState, StateLayout, bool, f64, range, typed } from "../../state.ts";

const REG_SECONDS = 0x00;
const REG_SECONDS_ALARM = 0x01;
const REG_MINUTES = 0x02;
const REG_MINUTES_ALARM = 0x03;
const REG_HOURS = 0x04;
const REG_HOURS_ALARM = 0x05;
const REG_DAY_OF_WEEK = 0x06;
const REG_DAY = 0x07;
const REG_MONTH = 0x08;
const REG_YEAR = 0x09;
const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
export const CMOS_CENTURY = 0x32;

const A_UIP = 0x80;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_SQWE = 0x08;
const B_BINARY = 0x04;
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;

const NS_PER_SECOND = 1e9;
/** UIP rises 244 us before the update cycle and the cycle itself takes 1984 us (32.768 kHz base). */
export const RTC_UIP_WINDOW_NS = 244_140 + 1_984_000;
const SECONDS_PER_DAY = 86400;

/** CMOS layout facts used by SeaBIOS / QEMU. */
export const CMOS_FLOPPY_TYPES = 0x10;
export const CMOS_EQUIPMENT = 0x14;
export const CMOS_BASE_MEM_LOW = 0x15;
export const CMOS_EXT_MEM_LOW = 0x17;
export const CMOS_EXT_MEM2_LOW = 0x30;
export const CMOS_MEM_ABOVE_16M_LOW = 0x34;
export const CMOS_BOOT_FLAG1 = 0x38;
export const CMOS_BOOT_FLAG2 = 0x3d;
export const CMOS_MEM_ABOVE_4G = 0x5b;
export const CMOS_CHECKSUM_HIGH = 0x2e;

/** Floppy drive types as CMOS 0x10 encodes them. */
export type FloppyType = "none" | "360K" | "1.2M" | "720K" | "1.44M" | "2.88M";
const FLOPPY_TYPE_CODE: Record<FloppyType, number> = { none: 0, "360K": 1, "1.2M": 2, "720K": 3, "1.44M": 4, "2.88M": 5 };
/** QEMU's boot device codes in CMOS 0x3D/0x38. */
const BOOT_DEVICE_CODE: Record<BootDevice, number> = { floppy: 1, disk: 2, cdrom: 3 };

/** Days since 1970-01-01 of a proleptic Gregorian date (month may be out of 1..12, day any). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const m0 = month - 1;
  year += Math.floor(m0 / 12);
  const m = (((m0 % 12) + 12) % 12) + 1;
  const y = m <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5);
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468 + (day - 1);
}

export interface RtcOptions {
  /** Time the RTC shows at creation, in ms since 1970 UTC. Default: the host's current UTC time. */
  startTimeMs?: number;
}

export class RtcCmos implements Device, TimedDevice {
  readonly name = "rtc-cmos";
  readonly nvram = new Uint8Array(128);
  private index = 0;
  /** Port 0x70 bit 7: NMIs from the chipset are masked (the machine may consult this). */
  nmiMasked = false;
  /** Update cycles complete at phaseNs + k * 1e9 (periodic interrupts share the divider phase). */
  private phaseNs = 0;
  /** RTC seconds since 1970 = epochOffset + k(now) while updating. */
  private epochOffset = 0;
  /** Interrupt flags have been evaluated up to this virtual time. */
  private lastFlagsNs = 0;
  private irqLevel = false;
  /** Cache: the RTC second whose encoding is in the time registers (-1 = stale). */
  private encodedSecond = -1;
  /** Cache: virtual ns of the next alarm match (NaN = stale). */
  private alarmCacheNs = NaN;
  // Scratch for civil-date conversion (no allocation).
  private cy = 0;
  private cm = 0;
  private cd = 0;

  constructor(private readonly ctx: DeviceContext, options: RtcOptions = {}) {
    const start = options.startTimeMs ?? Date.now();
    if (!Number.isFinite(start)) throw new RangeError(`rtc-cmos: startTimeMs must be a finite number, got ${start}`);
    const now = ctx.clock.now();
    const wholeSeconds = Math.floor(start / 1000);
    this.phaseNs = now - (start - wholeSeconds * 1000) * 1e6;
    this.epochOffset = wholeSeconds;
    this.lastFlagsNs = now;
    this.nvram[REG_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    this.nvram[REG_B] = B_24H; // BCD, 24-hour
    this.nvram[REG_D] = 0x80; // valid RAM and time
    ctx.io.register(0x70, 2, {
      in8: (port) => (port === 0x70 ? 0xff : this.readRegister(this.index)),
      out8: (port, value) => {
        if (port === 0x70) {
          this.index = value & 0x7f;
          this.nmiMasked = (value & 0x80) !== 0;
        } else {
          this.writeRegister(this.index, value);
        }
      },
    }, this.name);
    ctx.addTimer(this);
  }

  /** Machine reset: the RESET pin clears the interrupt enables and flags; time and NVRAM survive. */
  reset(): void {
    const now = this.ctx.clock.now();
    this.updateFlags(now);
    this.nvram[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    this.nvram[REG_C] = 0;
    this.index = 0;
    this.nmiMasked = false;
    this.alarmCacheNs = NaN;
    this.updateIrq();
    this.ctx.rescheduleTimer(this);
  }

  // ---- NVRAM set-up API for the machine ----

  setByte(index: number, value: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= 128) throw new RangeError(`rtc-cmos: NVRAM index ${index} is outside 0-127`);
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`rtc-cmos: NVRAM value ${value} at 0x${index.toString(16)} is not a byte`);
    this.nvram[index] = value;
    if (index >= 0x10 && index <= 0x2d) this.updateChecksum();
  }

  getByte(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= 128) throw new RangeError(`rtc-cmos: NVRAM index ${index} is outside 0-127`);
    return this.nvram[index];
  }

  /** Memory size bytes as the BIOS expects them. `highRamBytes` is RAM mapped above 4 GiB. */
  setMemorySizes(ramBytes: number, highRamBytes = 0): void {
    if (!Number.isInteger(ramBytes) || ramBytes < 1 << 20 || ramBytes > 0x100000000) throw new RangeError(`rtc-cmos: RAM size ${ramBytes} bytes is out of range`);
    if (!Number.isInteger(highRamBytes) || highRamBytes < 0) throw new RangeError(`rtc-cmos: high RAM size ${highRamBytes} bytes is invalid`);
    const kib = (v: number, lo: number): void => {
      this.nvram[lo] = v & 0xff;
      this.nvram[lo + 1] = (v >> 8) & 0xff;
    };
    kib(640, CMOS_BASE_MEM_LOW);
    const extendedKiB = Math.min(0xffff, Math.max(0, ramBytes / 1024 - 1024));
    kib(extendedKiB, CMOS_EXT_MEM_LOW);
    kib(extendedKiB, CMOS_EXT_MEM2_LOW);
    const above16M = ramBytes > 16 << 20 ? Math.min(0xffff, Math.floor((ramBytes - (16 << 20)) / 65536)) : 0;
    kib(above16M, CMOS_MEM_ABOVE_16M_LOW);
    const above4G = Math.min(0xffffff, Math.floor(highRamBytes / 65536));
    this.nvram[CMOS_MEM_ABOVE_4G] = above4G & 0xff;
    this.nvram[CMOS_MEM_ABOVE_4G + 1] = (above4G >> 8) & 0xff;
    this.nvram[CMOS_MEM_ABOVE_4G + 2] = (above4G >> 16) & 0xff;
    this.updateChecksum();
  }

  /** Drive types in 0x10 and the floppy bits of the equipment byte 0x14 (which also reports an FPU
   *  and a PS/2 mouse port, as on QEMU's PC). */
  setFloppyTypes(a: FloppyType, b: FloppyType = "none"): void {
    const ca = FLOPPY_TYPE_CODE[a];
    const cb = FLOPPY_TYPE_CODE[b];
    if (ca === undefined || cb === undefined) throw new RangeError(`rtc-cmos: unknown floppy type "${ca === undefined ? a : b}"`);
    this.nvram[CMOS_FLOPPY_TYPES] = (ca << 4) | cb;
    const drives = (ca ? 1 : 0) + (cb ? 1 : 0);
    let equipment = this.nvram[CMOS_EQUIPMENT] & 0x3e;
    equipment |= 0x02 | 0x04; // math coprocessor, PS/2 mouse port
    if (drives > 0) equipment |= 0x01 | ((drives - 1) << 6);
    this.nvram[CMOS_EQUIPMENT] = equipment;
    this.updateChecksum();
  }

  /** Boot order in QEMU's CMOS encoding (0x3D: first | second << 4; 0x38: third << 4 | bit 0 =
   *  skip the floppy boot signature check). At most three devices. */
  setBootOrder(order: readonly BootDevice[], checkFloppySignature = true): void {
    if (order.length > 3) throw new RangeError(`rtc-cmos: at most 3 boot devices fit in CMOS, got ${order.length}`);
    const codes = [0, 0, 0];
    order.forEach((d, i) => {
      const c = BOOT_DEVICE_CODE[d];
      if (c === undefined) throw new RangeError(`rtc-cmos: unknown boot device "${String(d)}"`);
      codes[i] = c;
    });
    this.nvram[CMOS_BOOT_FLAG2] = codes[0] | (codes[1] << 4);
    this.nvram[CMOS_BOOT_FLAG1] = (codes[2] << 4) | (checkFloppySignature ? 0 : 1);
  }

  /** Standard AT checksum of bytes 0x10-0x2D, big-endian at 0x2E/0x2F. */
  updateChecksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.nvram[i];
    this.nvram[CMOS_CHECKSUM_HIGH] = (sum >> 8) & 0xff;
    this.nvram[CMOS_CHECKSUM_HIGH + 1] = sum & 0xff;
  }

  /** The RTC's current time in ms since 1970 UTC (what the guest would read, in whole seconds). */
  currentTimeMs(): number {
    const now = this.ctx.clock.now();
    if (this.updating()) return (this.epochOffset + this.secondIndex(now)) * 1000;
    return this.decodeTime() * 1000;
  }

  // ---- register file ----

  private dividerOn(): boolean {
    return (this.nvram[REG_A] & 0x70) <= 0x20;
  }

  private updating(): boolean {
    return this.dividerOn() && (this.nvram[REG_B] & B_SET) === 0;
  }

  /** Number of update cycles completed since the phase reference (can be negative). */
  private secondIndex(now: number): number {
    return Math.floor((now - this.phaseNs) / NS_PER_SECOND);
  }

  private periodicNs(): number {
    let rs = this.nvram[REG_A] & 0x0f;
    if (rs === 0 || !this.dividerOn()) return 0;
    if (rs <= 2) rs += 7;
    return ((1 << (rs - 1)) * NS_PER_SECOND) / 32768;
  }

  private uip(now: number): boolean {
    if (!this.updating()) return false;
    const into = (((now - this.phaseNs) % NS_PER_SECOND) + NS_PER_SECOND) % NS_PER_SECOND;
    return into >= NS_PER_SECOND - RTC_UIP_WINDOW_NS;
  }

  private binary(): boolean {
    return (this.nvram[REG_B] & B_BINARY) !== 0;
  }

  private enc(v: number): number {
    return this.binary() ? v : (((v / 10) | 0) << 4) | (v % 10);
  }

  private dec(b: number): number {
    return this.binary() ? b : (b >> 4) * 10 + (b & 0x0f);
  }

  private encHour(h: number): number {
    if (this.nvram[REG_B] & B_24H) return this.enc(h);
    return this.enc(h % 12 || 12) | (h >= 12 ? 0x80 : 0);
  }

  private decHour(b: number): number {
    if (this.nvram[REG_B] & B_24H) return this.dec(b & 0x7f);
    return (this.dec(b & 0x7f) % 12) + (b & 0x80 ? 12 : 0);
  }

  private civilFromDays(z: number): void {
    z += 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    this.cd = doy - Math.floor((153 * mp + 2) / 5) + 1;
    this.cm = mp < 10 ? mp + 3 : mp - 9;
    this.cy = yoe + era * 400 + (this.cm <= 2 ? 1 : 0);
  }

  /** Writes RTC second `s` (since 1970) into the time registers in the current format. */
  private encodeTime(s: number): void {
    const days = Math.floor(s / SECONDS_PER_DAY);
    const tod = s - days * SECONDS_PER_DAY;
    this.civilFromDays(days);
    const n = this.nvram;
    n[REG_SECONDS] = this.enc(tod % 60);
    n[REG_MINUTES] = this.enc(Math.floor(tod / 60) % 60);
    n[REG_HOURS] = this.encHour(Math.floor(tod / 3600));
    n[REG_DAY_OF_WEEK] = ((((days + 4) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday; Sunday = 1
    n[REG_DAY] = this.enc(this.cd);
    n[REG_MONTH] = this.enc(this.cm);
    const year = ((this.cy % 10000) + 10000) % 10000;
    n[REG_YEAR] = this.enc(year % 100);
    n[CMOS_CENTURY] = this.enc(Math.floor(year / 100));
    this.encodedSecond = s;
  }

  /** The time registers as seconds since 1970 (out-of-range fields roll over arithmetically). */
  private decodeTime(): number {
    const n = this.nvram;
    const year = this.dec(n[CMOS_CENTURY]) * 100 + this.dec(n[REG_YEAR]);
    const days = daysFromCivil(year, this.dec(n[REG_MONTH]), this.dec(n[REG_DAY]));
    return days * SECONDS_PER_DAY + this.decHour(n[REG_HOURS]) * 3600 + this.dec(n[REG_MINUTES]) * 60 + this.dec(n[REG_SECONDS]);
  }

  /** Brings the time registers up to date while the clock runs. */
  private materialize(now: number): void {
    if (!this.updating()) return;
    const s = this.epochOffset + this.secondIndex(now);
    if (s !== this.encodedSecond) this.encodeTime(s);
  }

  private alarmField(b: number, hour: boolean): number {
    if ((b & 0xc0) === 0xc0) return -1; // "don't care"
    return hour ? this.decHour(b) : this.dec(b);
  }

  /** Does RTC second `s` match the alarm registers? (targets pre-decoded, -1 = don't care) */
  private static alarmMatches(s: number, as: number, am: number, ah: number): boolean {
    const tod = ((s % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
    return (as < 0 || as === tod % 60) && (am < 0 || am === Math.floor(tod / 60) % 60) && (ah < 0 || ah === Math.floor(tod / 3600));
  }

  /** Sets PF/AF/UF for the events in (lastFlagsNs, now]. */
  private updateFlags(now: number): void {
    const from = this.lastFlagsNs;
    if (!(now > from)) return;
    this.lastFlagsNs = now;
    let flags = 0;
    if (this.updating()) {
      const k0 = this.secondIndex(from);
      const k1 = this.secondIndex(now);
      if (k1 > k0) {
        flags |= C_UF;
        const n = this.nvram;
        const as = this.alarmField(n[REG_SECONDS_ALARM], false);
        const am = this.alarmField(n[REG_MINUTES_ALARM], false);
        const ah = this.alarmField(n[REG_HOURS_ALARM], true);
        // A day of seconds covers every alarm pattern; older crossings cannot add anything.
        for (let k = Math.max(k0 + 1, k1 - SECONDS_PER_DAY + 1); k <= k1; k++) {
          if (RtcCmos.alarmMatches(this.epochOffset + k, as, am, ah)) {
            flags |= C_AF;
            break;
          }
        }
      }
    }
    const period = this.periodicNs();
    if (period > 0 && Math.floor((now - this.phaseNs) / period) > Math.floor((from - this.phaseNs) / period)) flags |= C_PF;
    if (flags) this.nvram[REG_C] |= flags;
  }

  private updateIrq(): void {
    const c = this.nvram[REG_C];
    const irq = (c & this.nvram[REG_B] & (C_PF | C_AF | C_UF)) !== 0;
    this.nvram[REG_C] = irq ? c | C_IRQF : c & ~C_IRQF;
    if (irq !== this.irqLevel) {
      this.irqLevel = irq;
      this.ctx.irq.setIrq(8, irq);
    }
  }

  /** Virtual ns of the first second boundary after `now` whose time matches the alarm. */
  private nextAlarmNs(now: number): number {
    if (this.alarmCacheNs > now) return this.alarmCacheNs;
    const n = this.nvram;
    const as = this.alarmField(n[REG_SECONDS_ALARM], false);
    const am = this.alarmField(n[REG_MINUTES_ALARM], false);
    const ah = this.alarmField(n[REG_HOURS_ALARM], true);
    const k0 = this.secondIndex(now);
    let result = Infinity;
    for (let k = k0 + 1; k <= k0 + SECONDS_PER_DAY; k++) {
      if (RtcCmos.alarmMatches(this.epochOffset + k, as, am, ah)) {
        result = this.phaseNs + k * NS_PER_SECOND + 1;
        break;
      }
    }
    this.alarmCacheNs = result;
    return result;
  }

  tick(now: number): number {
    this.updateFlags(now);
    this.updateIrq();
    if (this.irqLevel) return Infinity; // nothing new can happen on the line until C is read
    const b = this.nvram[REG_B];
    let next = Infinity;
    const period = this.periodicNs();
    if (b & B_PIE && period > 0) next = this.phaseNs + (Math.floor((now - this.phaseNs) / period) + 1) * period + 1;
    if (this.updating()) {
      if (b & B_UIE) next = Math.min(next, this.phaseNs + (this.secondIndex(now) + 1) * NS_PER_SECOND + 1);
      if (b & B_AIE) next = Math.min(next, this.nextAlarmNs(now));
    }
    return next;
  }

  private readRegister(index: number): number {
    const now = this.ctx.clock.now();
    this.updateFlags(now);
    switch (index) {
      case REG_SECONDS:
      case REG_MINUTES:
      case REG_HOURS:
      case REG_DAY_OF_WEEK:
      case REG_DAY:
      case REG_MONTH:
      case REG_YEAR:
      case CMOS_CENTURY:
        this.materialize(now);
        return this.nvram[index];
      case REG_A:
        return (this.nvram[REG_A] & 0x7f) | (this.uip(now) ? A_UIP : 0);
      case REG_C: {
        this.updateIrq();
        const v = this.nvram[REG_C];
        this.nvram[REG_C] = 0;
        this.updateIrq();
        this.ctx.rescheduleTimer(this);
        return v;
      }
      case REG_D:
        return 0x80;
      default:
        return this.nvram[index];
    }
  }

  private writeRegister(index: number, value: number): void {
    const now = this.ctx.clock.now();
    this.updateFlags(now);
    const n = this.nvram;
    switch (index) {
      case REG_SECONDS:
      case REG_MINUTES:
      case REG_HOURS:
      case REG_DAY_OF_WEEK:
      case REG_DAY:
      case REG_MONTH:
      case REG_YEAR:
      case CMOS_CENTURY:
        if (this.updating()) {
          this.materialize(now);
          n[index] = value;
          this.epochOffset = this.decodeTime() - this.secondIndex(now);
          this.encodedSecond = -1;
        } else {
          n[index] = value;
        }
        break;
      case REG_A: {
        const wasDivider = this.dividerOn();
        const wasUpdating = this.updating();
        this.materialize(now);
        n[REG_A] = value & 0x7f;
        this.clockModeChanged(wasDivider, wasUpdating, now);
        break;
      }
      case REG_B: {
        const wasUpdating = this.updating();
        this.materialize(now);
        let b = value;
        if (b & B_SET) b &= ~B_UIE; // SET inhibits updates and clears the update interrupt enable
        if ((b ^ n[REG_B]) & (B_BINARY | B_24H)) {
          // Re-encode the held time in the new format so the value is preserved.
          const s = this.decodeTime();
          n[REG_B] = b;
          this.encodeTime(s);
        } else {
          n[REG_B] = b;
        }
        this.clockModeChanged(this.dividerOn(), wasUpdating, now);
        break;
      }
      case REG_C:
      case REG_D:
        break; // read-only
      default:
        n[index] = value;
    }
    this.alarmCacheNs = NaN;
    this.updateIrq();
    this.ctx.rescheduleTimer(this);
  }

  /** After A or B changed: start/stop the update cycle, restart the divider phase. */
  private clockModeChanged(wasDivider: boolean, wasUpdating: boolean, now: number): void {
    if (!wasDivider && this.dividerOn()) {
      // Leaving divider reset: the first update cycle completes 500 ms later.
      this.phaseNs = now - NS_PER_SECOND / 2;
      this.lastFlagsNs = now;
    }
    const updating = this.updating();
    if (!wasUpdating && updating) this.epochOffset = this.decodeTime() - this.secondIndex(now);
    this.encodedSecond = -1;
  }

  private static readonly STATE = new StateLayout<RtcCmos>("rtc-cmos", 1, {
    nvram: typed(Uint8Array, 128),
    index: range(0, 0x7f),
    nmiMasked: bool(),
    phaseNs: f64(),
    epochOffset: f64(),
    lastFlagsNs: f64(),
    irqLevel: bool(),
  });

  saveState(): SavedState {
    return RtcCmos.STATE.save(this);
  }

  checkState(state: SavedState): void {
    RtcCmos.STATE.check(state);
  }

  loadState(state: SavedState): void {
    RtcCmos.STATE.load(this, state);
    this.encodedSecond = -1;
    this.alarmCacheNs = NaN;
    this.ctx.irq.setIrq(8, this.irqLevel);
    this.ctx.rescheduleTimer(this);
  }
}
