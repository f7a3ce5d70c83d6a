// PIIX3 IDE (PCI 00:01.1, 8086:7010) in legacy mode: the primary channel at 0x1F0-0x1F7 + 0x3F6
// on IRQ 14, the secondary at 0x170-0x177 + 0x376 on IRQ 15, and the bus-master DMA engine in BAR4
// (16 I/O ports: command, status and PRD table pointer per channel). This file owns the ATA
// register file, the PIO data port and the PRD walk; the command sets live in ata-disk.ts (ATA hard
// disk) and atapi-cdrom.ts (ATAPI CD-ROM), which drive transfers through `IdeDrive`.

import type { Device, DeviceContext, PciFunction } from "../../device.ts";
import { type SavedState, type StateValue, type Stateful, StateLayout, bool, choice, part, range, records, typed, typedUpTo, u8 } from "../../state.ts";
import { ATA_ABRT, ATA_BSY, ATA_DRDY, ATA_DRQ, ATA_DSC, ATA_ERR, AtaDisk, type AtaDiskOptions } from "./ata-disk.ts";
import { AtapiCdrom, type AtapiCdromOptions } from "./atapi-cdrom.ts";

export type IdeDeviceSpec = ({ kind: "disk" } & AtaDiskOptions) | ({ kind: "cdrom" } & AtapiCdromOptions);

export interface IdeChannelSpec {
  master?: IdeDeviceSpec | null;
  slave?: IdeDeviceSpec | null;
}

export interface IdeControllerOptions {
  primary?: IdeChannelSpec;
  secondary?: IdeChannelSpec;
  /** PCI address (default 1.1, as on the PIIX3). */
  pciDevice?: number;
  pciFunction?: number;
  name?: string;
}


/** What a device's command set implements; the drive calls it as the host moves data. */
export interface IdeCommandSet extends Stateful {
  readonly isAtapi: boolean;
  /** A command byte was written to the command register of this (present, selected) device. */
  command(drive: IdeDrive, command: number): void;
  /** The host read the whole PIO data-in block. */
  pioInDone(drive: IdeDrive): void;
  /** The host wrote the whole PIO data-out block. */
  pioOutDone(drive: IdeDrive): void;
  /** Bus master started while this device waits for DMA: move the data now via drive.dmaWrite/dmaRead. */
  dmaReady(drive: IdeDrive): void;
  /** Hardware reset / SRST: back to the power-on command state. */
  reset(): void;
}

/** Largest PIO block staged at once (ATAPI byte count limit ≤ 0xFFFE; ATA READ MULTIPLE ≤ 16 × 512). */
const BUFFER_BYTES = 0x10000;

/** One device position on a channel: its copy of the task file, status, INTRQ and the PIO buffer. */
/** The task-file registers in their saved order. */
const TASK_FILE = ["feature", "count", "lbaLow", "lbaMid", "lbaHigh", "hobFeature", "hobCount", "hobLbaLow", "hobLbaMid", "hobLbaHigh", "device", "status", "error"] as const;

const DRIVE_FIELDS = {
  regs: typed(Uint8Array, TASK_FILE.length, {
    get: (d: IdeDrive) => Uint8Array.from(TASK_FILE, (r) => d[r]),
    set: (d: IdeDrive, v: Uint8Array) => TASK_FILE.forEach((r, i) => void (d[r] = v[i])),
  }),
  intrq: bool(),
  dmaPending: bool(),
  pio: choice([0, 1, 2]),
  bufferPos: range(0, BUFFER_BYTES),
  bufferEnd: range(0, BUFFER_BYTES),
  /** The PIO data still to transfer (empty when none). */
  buffer: typedUpTo(Uint8Array, BUFFER_BYTES, {
    get: (d: IdeDrive) => (d.pio !== 0 ? d.buffer.subarray(0, d.bufferEnd) : new Uint8Array(0)),
    set: (d: IdeDrive, v: Uint8Array) => d.buffer.set(v),
  }),
  handler: part(),
};

/** The bus master registers, packed as [command, status, PRD pointer, PRD entry, bytes left, address, last, exhausted]. */
const BUS_MASTER = ["bmCommand", "bmStatus", "bmPrd", "prdEntry", "prdLeft", "prdAddr", "prdLast", "prdExhausted"] as const;

const CHANNEL_FIELDS = {
  selected: range(0, 1),
  control: u8(),
  bm: typed(Uint32Array, BUS_MASTER.length, {
    get: (c: IdeChannel) => Uint32Array.from(BUS_MASTER, (r) => Number(c[r]) >>> 0),
    set: (c: IdeChannel, v: Uint32Array) => {
      const regs = c as unknown as Record<(typeof BUS_MASTER)[number], number | boolean>;
      BUS_MASTER.forEach((r, i) => void (regs[r] = i < 6 ? v[i] : v[i] !== 0));
    },
  }),
  drives: records(DRIVE_FIELDS, 2, { nullable: true }),
};

/** A position's PIO buffer must agree with its transfer state. */
function driveRule(f: SavedState["fields"]): string | null {
  const channels = f.channels as { drives: ({ pio: number; bufferPos: number; bufferEnd: number; buffer: Uint8Array } | null)[] }[];
  for (let c = 0; c < channels.length; c++) {
    for (let i = 0; i < 2; i++) {
      const d = channels[c].drives[i];
      if (d && d.pio !== 0 && !(d.bufferEnd === d.buffer.length && d.bufferPos <= d.bufferEnd)) return `field "channels[${c}].drives[${i}].bufferPos": PIO buffer position out of range`;
    }
  }
  return null;
}

export class IdeDrive {
  feature = 0;
  count = 0;
  lbaLow = 0;
  lbaMid = 0;
  lbaHigh = 0;
  hobFeature = 0;
  hobCount = 0;
  hobLbaLow = 0;
  hobLbaMid = 0;
  hobLbaHigh = 0;
  device = 0;
  status = 0;
  error = 0;
  intrq = false;
  /** A DMA command waits for the bus master. */
  dmaPending = false;
  readonly buffer = new Uint8Array(BUFFER_BYTES);
  bufferPos = 0;
  bufferEnd = 0;
  /** 0 none, 1 data-in (to host), 2 data-out (from host). */
  pio = 0;

  constructor(
    readonly channel: IdeChannel,
    readonly slave: boolean,
    readonly handler: IdeCommandSet,
  ) {}

  /** Signature and status after power-on, SRST or DEVICE RESET. */
  setSignature(): void {
    this.count = 1;
    this.lbaLow = 1;
    if (this.handler.isAtapi) {
      this.lbaMid = 0x14;
      this.lbaHigh = 0xeb;
      this.status = 0;
    } else {
      this.lbaMid = 0;
      this.lbaHigh = 0;
      this.status = ATA_DRDY | ATA_DSC;
    }
    this.device = 0; // device 0 is selected after a reset
    this.error = 0x01;
    this.pio = 0;
    this.dmaPending = false;
  }

  /** 28-bit LBA from the current registers (device bits 3-0 are LBA 27-24). */
  lba28(): number {
    return ((this.device & 0x0f) * 0x1000000 + (this.lbaHigh << 16) + (this.lbaMid << 8) + this.lbaLow) >>> 0;
  }

  /** 48-bit LBA from the current and previous (HOB) registers. */
  lba48(): number {
    const high = (this.hobLbaHigh << 16) | (this.hobLbaMid << 8) | this.hobLbaLow;
    const low = ((this.lbaHigh << 16) | (this.lbaMid << 8) | this.lbaLow) >>> 0;
    return high * 0x1000000 + low;
  }

  /** Stores an LBA back into the registers (error reporting). */
  setLba(lba: number, ext: boolean): void {
    this.lbaLow = lba & 0xff;
    this.lbaMid = (lba >>> 8) & 0xff;
    this.lbaHigh = (lba >>> 16) & 0xff;
    if (ext) {
      const high = Math.floor(lba / 0x1000000);
      this.hobLbaLow = high & 0xff;
      this.hobLbaMid = (high >>> 8) & 0xff;
      this.hobLbaHigh = (high >>> 16) & 0xff;
    } else this.device = (this.device & 0xf0) | ((lba >>> 24) & 0x0f);
  }

  /** `length` bytes in `buffer` are ready for the host. */
  startPioIn(length: number, interrupt: boolean): void {
    this.bufferPos = 0;
    this.bufferEnd = length;
    this.pio = 1;
    this.status = ATA_DRDY | ATA_DSC | ATA_DRQ;
    if (interrupt) this.raiseInterrupt();
  }

  /** The device wants `length` bytes from the host into `buffer`. */
  startPioOut(length: number, interrupt: boolean): void {
    this.bufferPos = 0;
    this.bufferEnd = length;
    this.pio = 2;
    this.status = ATA_DRDY | ATA_DSC | ATA_DRQ;
    if (interrupt) this.raiseInterrupt();
  }

  /** Waits for the bus master (status shows DRQ as the device is ready to transfer). */
  startDma(): void {
    this.pio = 0;
    this.dmaPending = true;
    this.status = ATA_DRDY | ATA_DSC | ATA_DRQ;
    this.channel.dmaMaybeStart(this);
  }

  /** Command finished without error. */
  complete(interrupt = true): void {
    this.pio = 0;
    this.dmaPending = false;
    this.status = ATA_DRDY | ATA_DSC;
    if (interrupt) this.raiseInterrupt();
  }

  /** Command failed: ERR with the given error bits. */
  fail(error = ATA_ABRT): void {
    this.pio = 0;
    this.dmaPending = false;
    this.error = error;
    this.status = ATA_DRDY | ATA_ERR; // as QEMU: no DSC on a failed command
    this.raiseInterrupt();
  }

  raiseInterrupt(): void {
    this.intrq = true;
    this.channel.driveInterrupt();
  }

  /** Bus master: copies device data into guest memory along the PRD table. False = table too short. */
  dmaWrite(data: Uint8Array): boolean {
    return this.channel.dmaMove(data, true);
  }

  /** Bus master: fills `into` from guest memory along the PRD table. False = table too short. */
  dmaRead(into: Uint8Array): boolean {
    return this.channel.dmaMove(into, false);
  }

  /** Ends a DMA command: device status, INTRQ and the bus master status bits. */
  dmaDone(ok: boolean, error = ATA_ABRT): void {
    this.channel.dmaFinished(ok);
    if (ok) this.complete();
    else this.fail(error);
  }
}

/** One ATA channel: two device positions, the device control register and a bus master. */
export class IdeChannel {
  readonly drives: (IdeDrive | null)[] = [null, null];
  /** Device 1 selected (device register bit 4). */
  selected = 0;
  /** Device control: bit 1 nIEN, bit 2 SRST, bit 7 HOB. */
  control = 0;
  private irqLevel = false;
  // Bus master registers
  bmCommand = 0;
  bmStatus = 0;
  bmPrd = 0;
  /** Current PRD walk: entry address, bytes left in the entry, its memory address, EOT seen. */
  private prdEntry = 0;
  private prdLeft = 0;
  private prdAddr = 0;
  private prdLast = false;
  private prdExhausted = false;

  constructor(
    readonly controller: IdeController,
    readonly index: number,
    readonly irqLine: number,
  ) {}

  get ctx(): DeviceContext {
    return this.controller.ctx;
  }

  get hasDevices(): boolean {
    return this.drives[0] !== null || this.drives[1] !== null;
  }

  private current(): IdeDrive | null {
    return this.drives[this.selected];
  }

  readRegister(reg: number): number {
    if (!this.hasDevices) return 0xff; // floating bus: no device on this cable
    const d = this.current();
    if (!d) return reg === 7 ? 0 : 0; // device 0 answers for an absent device 1 with zeros
    const hob = (this.control & 0x80) !== 0;
    switch (reg) {
      case 1:
        return hob ? d.hobFeature : d.error;
      case 2:
        return hob ? d.hobCount : d.count;
      case 3:
        return hob ? d.hobLbaLow : d.lbaLow;
      case 4:
        return hob ? d.hobLbaMid : d.lbaMid;
      case 5:
        return hob ? d.hobLbaHigh : d.lbaHigh;
      case 6:
        return d.device | 0xa0;
      case 7:
        d.intrq = false;
        this.updateIrq();
        return d.status;
    }
    return 0xff;
  }

  writeRegister(reg: number, value: number): void {
    if (reg === 7) {
      const d = this.current();
      if (!d) return;
      if (d.status & ATA_BSY && value !== 0x08) return;
      d.intrq = false;
      this.updateIrq();
      d.error = 0;
      d.handler.command(d, value);
      return;
    }
    this.control &= ~0x80; // any task-file write clears HOB
    for (const d of this.drives) {
      if (!d) continue;
      switch (reg) {
        case 1:
          d.hobFeature = d.feature;
          d.feature = value;
          break;
        case 2:
          d.hobCount = d.count;
          d.count = value;
          break;
        case 3:
          d.hobLbaLow = d.lbaLow;
          d.lbaLow = value;
          break;
        case 4:
          d.hobLbaMid = d.lbaMid;
          d.lbaMid = value;
          break;
        case 5:
          d.hobLbaHigh = d.lbaHigh;
          d.lbaHigh = value;
          break;
        case 6:
          d.device = value & 0x5f;
          break;
      }
    }
    if (reg === 6) {
      this.selected = (value >> 4) & 1;
      this.updateIrq();
    }
  }

  readAltStatus(): number {
    if (!this.hasDevices) return 0xff;
    const d = this.current();
    return d ? d.status : 0;
  }

  writeControl(value: number): void {
    const wasReset = (this.control & 0x04) !== 0;
    this.control = value & 0x86;
    const reset = (value & 0x04) !== 0;
    if (reset && !wasReset) {
      for (const d of this.drives) if (d) d.status = ATA_BSY;
    } else if (!reset && wasReset) {
      for (const d of this.drives) {
        if (!d) continue;
        d.handler.reset();
        d.setSignature();
        d.intrq = false;
      }
      this.selected = 0;
    }
    this.updateIrq();
  }

  // --- PIO data port --------------------------------------------------------------------------

  readData16(): number {
    const d = this.current();
    if (!d || d.pio !== 1) return 0xffff;
    const p = d.bufferPos;
    const v = d.buffer[p] | (d.buffer[p + 1] << 8);
    d.bufferPos = p + 2;
    if (d.bufferPos >= d.bufferEnd) {
      d.pio = 0;
      d.status &= ~ATA_DRQ;
      d.handler.pioInDone(d);
    }
    return v;
  }

  readData32(): number {
    const lo = this.readData16();
    const hi = this.readData16();
    return (lo | (hi << 16)) | 0;
  }

  writeData16(value: number): void {
    const d = this.current();
    if (!d || d.pio !== 2) return;
    const p = d.bufferPos;
    d.buffer[p] = value;
    d.buffer[p + 1] = value >>> 8;
    d.bufferPos = p + 2;
    if (d.bufferPos >= d.bufferEnd) {
      d.pio = 0;
      d.status &= ~ATA_DRQ;
      d.handler.pioOutDone(d);
    }
  }

  writeData32(value: number): void {
    this.writeData16(value & 0xffff);
    this.writeData16(value >>> 16);
  }

  // --- Interrupts -----------------------------------------------------------------------------

  driveInterrupt(): void {
    this.bmStatus |= 0x04; // the PIIX latches every device interrupt in the bus master status
    this.updateIrq();
  }

  updateIrq(): void {
    const d = this.current();
    const level = d !== null && d.intrq && (this.control & 0x02) === 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.ctx.irq.setIrq(this.irqLine, level);
    }
  }

  resetIrqLevel(): void {
    this.irqLevel = false;
    this.ctx.irq.setIrq(this.irqLine, false);
    this.updateIrq();
  }

  // --- Bus master -----------------------------------------------------------------------------

  readBm(offset: number): number {
    switch (offset) {
      case 0:
        return this.bmCommand;
      case 2:
        return this.bmStatus;
      case 4:
      case 5:
      case 6:
      case 7:
        return (this.bmPrd >>> ((offset - 4) * 8)) & 0xff;
      default:
        return 0;
    }
  }

  writeBm(offset: number, value: number): void {
    switch (offset) {
      case 0: {
        const wasActive = this.bmCommand & 1;
        this.bmCommand = value & 0x09;
        if (value & 1 && !wasActive) {
          this.bmStatus |= 0x01;
          this.prdEntry = this.bmPrd;
          this.prdLeft = 0;
          this.prdLast = false;
          this.prdExhausted = false;
          const d = this.current();
          if (d && d.dmaPending) this.dmaMaybeStart(d);
        } else if (!(value & 1)) this.bmStatus &= ~0x01;
        return;
      }
      case 2:
        // Bits 1 (error) and 2 (interrupt) are write-1-to-clear; 5 and 6 are drive DMA capable flags.
        this.bmStatus = (this.bmStatus & ~(value & 0x06)) & ~0x60;
        this.bmStatus |= value & 0x60;
        return;
      case 4:
      case 5:
      case 6:
      case 7: {
        const shift = (offset - 4) * 8;
        this.bmPrd = ((this.bmPrd & ~(0xff << shift)) | (value << shift)) & 0xfffffffc;
        this.bmPrd >>>= 0;
        return;
      }
    }
  }

  /** Starts the transfer when both the device and the bus master are ready. */
  dmaMaybeStart(d: IdeDrive): void {
    if (!d.dmaPending || !(this.bmCommand & 1) || d !== this.current()) return;
    if (!this.controller.busMasterEnabled()) return;
    d.dmaPending = false;
    d.handler.dmaReady(d);
  }

  /** Moves `buffer.length` bytes between the device and memory along the PRD table. */
  dmaMove(buffer: Uint8Array, toMemory: boolean): boolean {
    const memory = this.ctx.memory;
    let done = 0;
    // Each PRD entry moves at least 2 bytes, so this loop is bounded by the buffer length.
    while (done < buffer.length) {
      if (this.prdLeft === 0) {
        if (this.prdLast) {
          this.prdExhausted = true;
          return false;
        }
        const base = memory.read32(this.prdEntry) >>> 0;
        const flags = memory.read32(this.prdEntry + 4) >>> 0;
        this.prdAddr = base & 0xfffffffe;
        const count = flags & 0xfffe;
        this.prdLeft = count === 0 ? 0x10000 : count;
        this.prdLast = (flags & 0x80000000) !== 0;
        // The table may not cross a 64 KiB boundary: the entry pointer wraps inside it.
        this.prdEntry = (this.prdEntry & 0xffff0000) | ((this.prdEntry + 8) & 0xffff);
      }
      const n = Math.min(this.prdLeft, buffer.length - done);
      if (toMemory) memory.writeBytes(this.prdAddr, buffer.subarray(done, done + n));
      else buffer.set(memory.readBytes(this.prdAddr, n), done);
      this.prdAddr += n;
      this.prdLeft -= n;
      done += n;
    }
    return true;
  }

  /** After a DMA command: clear Active if the PRD table was used up exactly; flag errors. */
  dmaFinished(ok: boolean): void {
    if (!ok) this.bmStatus = (this.bmStatus & ~0x01) | 0x02;
    else if (this.prdLeft === 0 && this.prdLast) this.bmStatus &= ~0x01;
  }

  /** After a restore: the bus master registers within their bits, the IRQ line re-driven. */
  restored(): void {
    this.bmCommand &= 0x09;
    this.bmStatus &= 0x67;
    this.prdLeft = Math.min(this.prdLeft, 0x10000);
    this.resetIrqLevel();
  }
}

const CHANNEL_PORTS = [
  { base: 0x1f0, control: 0x3f6, irq: 14 },
  { base: 0x170, control: 0x376, irq: 15 },
];

export class IdeController implements Device {
  readonly name: string;
  readonly ctx: DeviceContext;
  readonly channels: IdeChannel[];
  readonly pciFunction: PciFunction;
  private bmBase = -1;

  constructor(ctx: DeviceContext, options: IdeControllerOptions = {}) {
    this.ctx = ctx;
    this.name = options.name ?? "piix3-ide";
    this.channels = [new IdeChannel(this, 0, CHANNEL_PORTS[0].irq), new IdeChannel(this, 1, CHANNEL_PORTS[1].irq)];
    const specs = [options.primary ?? {}, options.secondary ?? {}];
    for (let c = 0; c < 2; c++) {
      const ch = this.channels[c];
      const pos = [specs[c].master, specs[c].slave];
      for (let s = 0; s < 2; s++) {
        const spec = pos[s];
        if (!spec) continue;
        const label = `${c === 0 ? "primary" : "secondary"} ${s === 0 ? "master" : "slave"}`;
        const handler = spec.kind === "disk" ? new AtaDisk({ ...spec, label }) : spec.kind === "cdrom" ? new AtapiCdrom({ ...spec, label }) : null;
        if (!handler) throw new RangeError(`${this.name}: ${label}: unknown device kind "${(spec as { kind: string }).kind}"`);
        ch.drives[s] = new IdeDrive(ch, s === 1, handler);
      }
      const { base, control } = CHANNEL_PORTS[c];
      ctx.io.register(base, 1, {
        in8: () => ch.readData16() & 0xff,
        in16: () => ch.readData16(),
        in32: () => ch.readData32(),
        out8: (_p, v) => ch.writeData16(v),
        out16: (_p, v) => ch.writeData16(v),
        out32: (_p, v) => ch.writeData32(v),
      }, this.name);
      ctx.io.register(base + 1, 7, { in8: (p) => ch.readRegister(p - base), out8: (p, v) => ch.writeRegister(p - base, v) }, this.name);
      ctx.io.register(control, 1, { in8: () => ch.readAltStatus(), out8: (_p, v) => ch.writeControl(v) }, this.name);
    }

    const config = new Uint8Array(256);
    const w16 = (off: number, v: number) => {
      config[off] = v & 0xff;
      config[off + 1] = v >>> 8;
    };
    w16(0x00, 0x8086);
    w16(0x02, 0x7010);
    w16(0x06, 0x0280); // fast back-to-back capable, medium DEVSEL timing
    config[0x09] = 0x80; // prog-if: bus master capable, both channels in legacy (compatibility) mode
    config[0x0a] = 0x01; // IDE
    config[0x0b] = 0x01; // mass storage
    w16(0x40, 0x8000); // IDETIM primary: decode enabled
    w16(0x42, 0x8000); // IDETIM secondary
    this.pciFunction = {
      name: this.name,
      device: options.pciDevice ?? 1,
      fn: options.pciFunction ?? 1,
      config,
      bars: [undefined, undefined, undefined, undefined, { size: 16, kind: "io", onMap: (base) => this.mapBusMaster(base) }],
    };
    ctx.pci.addFunction(this.pciFunction);
    this.reset();
  }

  busMasterEnabled(): boolean {
    return (this.pciFunction.config[0x04] & 0x04) !== 0;
  }

  private mapBusMaster(base: number): void {
    if (this.bmBase >= 0) this.ctx.io.unregister(this.bmBase, 16, `${this.name} bus master`);
    this.bmBase = base;
    if (base < 0) return;
    this.ctx.io.register(base, 16, {
      in8: (p) => this.channels[(p - base) >> 3].readBm((p - base) & 7),
      out8: (p, v) => this.channels[(p - base) >> 3].writeBm((p - base) & 7, v),
      in32: (p) => {
        const ch = this.channels[(p - base) >> 3];
        const o = (p - base) & 7;
        return (ch.readBm(o) | (ch.readBm(o + 1) << 8) | (ch.readBm(o + 2) << 16) | (ch.readBm(o + 3) << 24)) | 0;
      },
      out32: (p, v) => {
        const ch = this.channels[(p - base) >> 3];
        const o = (p - base) & 7;
        for (let i = 0; i < 4; i++) ch.writeBm(o + i, (v >>> (i * 8)) & 0xff);
      },
    }, `${this.name} bus master`);
  }

  reset(): void {
    for (const ch of this.channels) {
      ch.selected = 0;
      ch.control = 0;
      ch.bmCommand = 0;
      ch.bmPrd = 0;
      ch.bmStatus = (ch.drives[0] ? 0x20 : 0) | (ch.drives[1] ? 0x40 : 0);
      for (const d of ch.drives) {
        if (!d) continue;
        d.handler.reset();
        d.setSignature();
        d.intrq = false;
      }
      ch.resetIrqLevel();
    }
  }

  /** The device at a position, for host-side media operations (CD eject/insert). */
  deviceAt(channel: 0 | 1, slave: boolean): IdeCommandSet | null {
    return this.channels[channel].drives[slave ? 1 : 0]?.handler ?? null;
  }

  private static readonly STATE = new StateLayout<IdeController>(
    "piix3-ide",
    1,
    {
      channels: records(CHANNEL_FIELDS, 2),
      /** The IDE timing registers (config 0x40..0x43). */
      idetim: typed(Uint8Array, 4, {
        get: (c: IdeController) => c.pciFunction.config.subarray(0x40, 0x44),
        set: (c: IdeController, v: Uint8Array) => c.pciFunction.config.set(v, 0x40),
      }),
    },
    { rule: driveRule },
  );

  saveState(): SavedState {
    return IdeController.STATE.save(this);
  }

  checkState(state: SavedState): void {
    IdeController.STATE.check(state, this);
  }

  loadState(state: SavedState): void {
    IdeController.STATE.load(this, state);
    for (const c of this.channels) c.restored();
  }
}
