// PIIX4-style power management function (PCI 01.3, 8086:7113): the ACPI fixed hardware at the PM I/O
// base (PM1 event/control, the 3.579545 MHz PM timer, GPE0), SCI on IRQ 9, and the APM control port
// 0xB2 whose ACPI enable/disable commands we apply directly (this machine has no SMM handler).
//
// Register block (offsets from the PM base): 0 PM1_STS, 2 PM1_EN, 4 PM1_CNT, 8 PM_TMR (24-bit),
// 0x0C GPE0_STS, 0x0E GPE0_EN. It also owns the ACPI PCI hot-plug controller (pci-hotplug.ts), whose
// events are GPE0 bit PCI_HOTPLUG_GPE.

import type { TimedDevice } from "../../clock.ts";
import type { Device, DeviceContext, PciFunction } from "../../device.ts";
import { type SavedState, StateLayout, bool, f64, nested, typed, u16, u8 } from "../../state.ts";
import { ACPI_DISABLE_VALUE, ACPI_ENABLE_VALUE, S5_SLP_TYP, SCI_IRQ, SMI_CMD_PORT } from "../firmware/acpi-tables.ts";
import { pciConfigHeader } from "./pci-bus.ts";
import { PciHotplug, type PciHotplugOptions } from "./pci-hotplug.ts";

export const PM_TIMER_HZ = 3579545;
const PM_REGION_SIZE = 64;
const PMBA = 0x40;
const DEVACTB = 0x58;
const PMREGMISC = 0x80;

const TMR_STS = 1 << 0;
const GBL_STS = 1 << 5;
const PWRBTN_STS = 1 << 8;
const RTC_STS = 1 << 10;
const WAK_STS = 1 << 15;
const PM1_EVENTS = TMR_STS | GBL_STS | PWRBTN_STS | RTC_STS;
const SCI_EN = 1 << 0;
const SLP_EN = 1 << 13;
/** Bits of PM1_CNT that stick (SLP_EN is write-only, GBL_RLS self-clearing). */
const PM1_CNT_STORED = 0x1c03 & ~(1 << 2);
/** Timer status is set each time bit 23 of the 24-bit counter changes. */
const TMR_PERIOD_TICKS = 1 << 23;

export interface AcpiPmOptions {
  /** Which hot-plug slots hold a card and how an ejected one leaves (the machine's cards). */
  hotplug?: Omit<PciHotplugOptions, "raiseGpe">;
}

export class AcpiPm implements Device, TimedDevice {
  readonly name = "acpi-pm";
  readonly pci: PciFunction;
  readonly hotplug: PciHotplug;
  private pm1Status = 0;
  private pm1Enable = 0;
  private pm1Control = 0;
  private gpeStatus = 0;
  private gpeEnable = 0;
  private apmControl = 0;
  private apmStatus = 0;
  /** Timer periods (2^23 ticks) already accounted into TMR_STS. */
  private timerPeriods = 0;
  private mappedBase = -1;
  private sciLevel = false;

  constructor(private readonly ctx: DeviceContext, options: AcpiPmOptions = {}) {
    const config = pciConfigHeader({ vendor: 0x8086, device: 0x7113, classCode: 0x068000, revision: 0x03, interruptPin: 1 });
    this.pci = {
      name: "piix4 power management",
      device: 1,
      fn: 3,
      config,
      configWritten: (offset, size) => {
        if ((offset < PMBA + 4 && offset + size > PMBA) || (offset <= PMREGMISC && offset + size > PMREGMISC)) this.updateMapping();
      },
    };
    this.initConfig();
    ctx.pci.addFunction(this.pci);
    ctx.io.register(SMI_CMD_PORT, 2, {
      in8: (p) => (p === SMI_CMD_PORT ? this.apmControl : this.apmStatus),
      out8: (p, v) => (p === SMI_CMD_PORT ? this.writeApmControl(v) : (this.apmStatus = v)),
    }, "apm");
    this.hotplug = new PciHotplug(ctx, {
      raiseGpe: (bit) => this.raiseGpe(bit),
      occupied: options.hotplug?.occupied ?? (() => false),
      eject: options.hotplug?.eject ?? (() => {}),
    });
    ctx.addTimer(this);
    this.timerPeriods = Math.floor(this.timerTicks() / TMR_PERIOD_TICKS);
  }

  private initConfig(): void {
    const c = this.pci.config;
    c.fill(0, 0x40);
    c[0x3c] = SCI_IRQ;
    c[PMBA] = 1; // I/O space indicator
    // APMC_EN already set: there is no SMM here, so firmware must not try to relocate SMBASE.
    c[DEVACTB + 3] = 0x02;
  }

  /** What firmware does: place the PM registers at `base` and enable them. */
  enableAt(base: number): void {
    const c = this.pci.config;
    c[PMBA] = (base & 0xc0) | 1;
    c[PMBA + 1] = base >>> 8;
    c[PMREGMISC] |= 1;
    this.updateMapping();
  }

  private updateMapping(): void {
    const c = this.pci.config;
    const base = (c[PMBA] | (c[PMBA + 1] << 8)) & 0xffc0;
    const want = c[PMREGMISC] & 1 && base !== 0 ? base : -1;
    if (want === this.mappedBase) return;
    if (this.mappedBase >= 0) this.ctx.io.unregister(this.mappedBase, PM_REGION_SIZE, this.name);
    this.mappedBase = -1;
    if (want < 0) return;
    try {
      this.ctx.io.register(want, PM_REGION_SIZE, {
        in8: (p) => this.readRegister(p - want, 1),
        in16: (p) => this.readRegister(p - want, 2),
        in32: (p) => this.readRegister(p - want, 4),
        out8: (p, v) => this.writeRegister(p - want, 1, v),
        out16: (p, v) => this.writeRegister(p - want, 2, v),
        out32: (p, v) => this.writeRegister(p - want, 4, v),
      }, this.name);
      this.mappedBase = want;
    } catch (e) {
      this.ctx.log("warn", this.name, `PM base 0x${want.toString(16)} not mapped: ${(e as Error).message}`);
    }
  }

  get pmBase(): number {
    return this.mappedBase;
  }

  /** PM timer value: 3.579545 MHz from virtual time, 24 bits. */
  private timerTicks(): number {
    return Math.floor((this.ctx.clock.now() * PM_TIMER_HZ) / 1e9);
  }

  private syncTimerStatus(): void {
    const periods = Math.floor(this.timerTicks() / TMR_PERIOD_TICKS);
    if (periods !== this.timerPeriods) {
      this.timerPeriods = periods;
      this.pm1Status |= TMR_STS;
    }
  }

  private readRegister(offset: number, size: number): number {
    if (offset === 8) {
      const t = this.timerTicks() & 0xffffff;
      return size === 1 ? t & 0xff : size === 2 ? t & 0xffff : t;
    }
    if (size === 4) return (this.readRegister(offset, 2) | (this.readRegister(offset + 2, 2) << 16)) | 0;
    if (size === 2 && (offset & 1) === 0) return this.reg16(offset);
    if (size === 2) return this.readRegister(offset, 1) | (this.readRegister(offset + 1, 1) << 8);
    return (this.reg16(offset & ~1) >>> ((offset & 1) * 8)) & 0xff;
  }

  private reg16(offset: number): number {
    switch (offset) {
      case 0:
        this.syncTimerStatus();
        return this.pm1Status;
      case 2:
        return this.pm1Enable;
      case 4:
        return this.pm1Control;
      case 8:
        return this.timerTicks() & 0xffff;
      case 10:
        return (this.timerTicks() >>> 16) & 0xff;
      case 0x0c:
        return this.gpeStatus;
      case 0x0e:
        return this.gpeEnable;
      default:
        return 0;
    }
  }

  private writeRegister(offset: number, size: number, value: number): void {
    if (size === 4) {
      this.writeRegister(offset, 2, value & 0xffff);
      this.writeRegister(offset + 2, 2, value >>> 16);
      return;
    }
    if (size === 1) {
      // Byte writes: merge into the 16-bit register (status bits: only the written byte's 1s clear).
      const even = offset & ~1;
      const shift = (offset & 1) * 8;
      if (even === 0 || even === 0x0c) this.write16(even, (value & 0xff) << shift);
      else this.write16(even, (this.reg16(even) & ~(0xff << shift)) | ((value & 0xff) << shift));
      return;
    }
    this.write16(offset, value & 0xffff);
  }

  private write16(offset: number, value: number): void {
    switch (offset) {
      case 0:
        this.syncTimerStatus();
        this.pm1Status &= ~value; // write 1 to clear
        break;
      case 2:
        this.pm1Enable = value & PM1_EVENTS;
        this.ctx.rescheduleTimer(this);
        break;
      case 4:
        this.pm1Control = value & PM1_CNT_STORED;
        if (value & SLP_EN) this.sleep((value >>> 10) & 7);
        break;
      case 0x0c:
        this.gpeStatus &= ~value;
        break;
      case 0x0e:
        this.gpeEnable = value;
        break;
    }
    this.updateSci();
  }

  private sleep(type: number): void {
    if (type === S5_SLP_TYP) {
      this.ctx.requestPowerOff(0, "ACPI S5");
      return;
    }
    // Other sleep states are not supported: wake at once, as if a wake event had fired.
    this.ctx.log("info", this.name, `sleep type ${type} requested; not supported, resuming`);
    this.pm1Status |= WAK_STS;
  }

  private writeApmControl(v: number): void {
    this.apmControl = v;
    if (v === ACPI_ENABLE_VALUE) this.pm1Control |= SCI_EN;
    else if (v === ACPI_DISABLE_VALUE) this.pm1Control &= ~SCI_EN;
    this.updateSci();
  }

  /** Host-side power button press (ACPI shutdown request to the guest). */
  pressPowerButton(): void {
    this.pm1Status |= PWRBTN_STS;
    this.updateSci();
  }

  /** An event source of the chipset (PCI hot-plug) sets its GPE0 status bit; the SCI follows GPE0_EN. */
  raiseGpe(bit: number): void {
    if (!Number.isInteger(bit) || bit < 0 || bit > 15) throw new RangeError(`acpi-pm: GPE0 bit ${bit} does not exist (0-15)`);
    this.gpeStatus |= 1 << bit;
    this.updateSci();
  }

  private updateSci(force = false): void {
    this.syncTimerStatus();
    const level = (this.pm1Control & SCI_EN) !== 0 &&
      ((this.pm1Status & this.pm1Enable & PM1_EVENTS) !== 0 || (this.gpeStatus & this.gpeEnable) !== 0);
    if (level === this.sciLevel && !force) return;
    this.sciLevel = level;
    this.ctx.irq.setIrq(SCI_IRQ, level);
  }

  tick(nowNs: number): number {
    this.updateSci();
    if (!(this.pm1Enable & TMR_STS)) return Infinity;
    // Next change of counter bit 23.
    const nextTicks = (this.timerPeriods + 1) * TMR_PERIOD_TICKS;
    const deadline = Math.ceil((nextTicks * 1e9) / PM_TIMER_HZ);
    return deadline > nowNs ? deadline : nowNs + 1000;
  }

  reset(): void {
    if (this.mappedBase >= 0) this.ctx.io.unregister(this.mappedBase, PM_REGION_SIZE, this.name);
    this.mappedBase = -1;
    this.pm1Status = this.pm1Enable = this.pm1Control = this.gpeStatus = this.gpeEnable = 0;
    this.apmControl = this.apmStatus = 0;
    this.hotplug.reset();
    this.initConfig();
    if (this.sciLevel) this.ctx.irq.setIrq(SCI_IRQ, false);
    this.sciLevel = false;
    this.timerPeriods = Math.floor(this.timerTicks() / TMR_PERIOD_TICKS);
  }

  private static readonly STATE = new StateLayout<AcpiPm>("acpi-pm", 2, {
    pm1Status: u16(),
    pm1Enable: u16(),
    pm1Control: u16(),
    gpeStatus: u16(),
    gpeEnable: u16(),
    apmControl: u8(),
    apmStatus: u8(),
    timerPeriods: f64(),
    sciLevel: bool(),
    /** The function's device-specific config space (0x40..0xFF). */
    config: typed(Uint8Array, 0xc0, {
      get: (a: AcpiPm) => a.pci.config.subarray(0x40),
      set: (a: AcpiPm, v: Uint8Array) => a.pci.config.set(v, 0x40),
    }),
    hotplug: nested(PciHotplug.STATE as never, { since: 2, default: PciHotplug.IDLE_STATE as never }),
  });

  saveState(): SavedState {
    return AcpiPm.STATE.save(this);
  }

  checkState(state: SavedState): void {
    AcpiPm.STATE.check(state);
  }

  loadState(state: SavedState): void {
    AcpiPm.STATE.load(this, state);
    this.pm1Enable &= PM1_EVENTS;
    this.pm1Control &= PM1_CNT_STORED;
    this.updateMapping();
    this.updateSci(true); // drive the line to what the registers say
    this.ctx.rescheduleTimer(this);
  }
}
