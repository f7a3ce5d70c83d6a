// Intel 82077AA-compatible floppy disk controller at 0x3F0-0x3F5 and 0x3F7 (0x3F6 belongs to the
// primary IDE channel), IRQ 6, ISA DMA channel 2. Commands complete at once (no rotational delay):
// SPECIFY, SENSE DRIVE STATUS, RECALIBRATE, SENSE INTERRUPT STATUS, SEEK (and relative seek),
// READ DATA, WRITE DATA (multi-track, DMA and non-DMA), READ ID, FORMAT TRACK, VERSION, CONFIGURE,
// DUMPREG, LOCK, PERPENDICULAR MODE. Anything else is answered as an invalid command (ST0 = 0x80).
// The data rate is recorded but not enforced against the media.

import type { Device, DeviceContext, IsaDma } from "../../device.ts";
import { type SavedState, type StateValue, StateLayout, StateError, bool, f64, range, records, tuple, typed, typedUpTo, u8 } from "../../state.ts";
import { floppyGeometryForSize, type FloppyGeometry } from "./floppy-geometry.ts";

export interface FloppyMedia {
  image: Uint8Array;
  /** The guest cannot write (write-protect tab). */
  readOnly?: boolean;
  /** "copy-on-write" (default) keeps the caller's bytes untouched; "in-place" writes into them. */
  writeMode?: "in-place" | "copy-on-write";
}

export type FloppyDriveSpec = FloppyMedia | { present: boolean; media?: FloppyMedia | null };

export interface FloppyControllerOptions {
  /** Drives A: and B: (at most two); null/undefined = no drive. `{present: true, media: null}` is
   *  an empty drive. */
  drives: (FloppyDriveSpec | null | undefined)[];
  dma: IsaDma;
  base?: number;
  irq?: number;
  dmaChannel?: number;
  name?: string;
}

const SECTOR = 512;
const MAX_TRACK_BYTES = 2 * 36 * SECTOR; // both sides of a 2.88M track

// MSR
const MSR_RQM = 0x80;
const MSR_DIO = 0x40;
const MSR_NDMA = 0x20;
const MSR_CB = 0x10;
// ST0
const ST0_ABNORMAL = 0x40;
const ST0_INVALID = 0x80;
const ST0_SEEK_END = 0x20;
const ST0_EQUIPMENT = 0x10;
const ST0_NOT_READY = 0x08;
// ST1
const ST1_MA = 0x01;
const ST1_NW = 0x02;
const ST1_ND = 0x04;
const ST1_OR = 0x10;
const ST1_EN = 0x80;
// ST2

const enum Phase {
  Idle = 0,
  Command = 1,
  ExecRead = 2, // non-DMA: bytes to the CPU
  ExecWrite = 3, // non-DMA: bytes from the CPU
  Result = 4,
}

/** A drive position's saved fields; the media fields are restored by FloppyController.restoreMedia. */
const DRIVE_FIELDS = {
  present: bool({ set: () => {} }),
  hasMedia: bool({ get: (d: FloppyDrive) => d.media !== null, set: () => {} }),
  mediaBytes: f64({ min: 0, get: (d: FloppyDrive) => (d.media ? d.media.length : 0), set: () => {} }),
  // Written media travels with the snapshot; untouched media is the configured image.
  image: typedUpTo(Uint8Array, 2 ** 31, { nullable: true, get: (d: FloppyDrive) => (d.media && d.written ? d.media : null), set: () => {} }),
  readOnly: bool({ set: () => {} }),
  cylinder: u8(),
  head: range(0, 1),
  changed: bool(),
  nextIdSector: u8(),
};

interface SavedDrive {
  present: boolean;
  hasMedia: boolean;
  mediaBytes: number;
  image: Uint8Array | null;
  readOnly: boolean;
}

/** One drive position (A: or B:). */
class FloppyDrive {
  media: Uint8Array | null = null;
  geometry: FloppyGeometry | null = null;
  readOnly = false;
  /** Copy-on-write image not yet copied. */
  sharedWithHost = false;
  /** Bytes were written since insertion (the image goes into snapshots). */
  written = false;
  cylinder = 0;
  head = 0;
  /** Disk-change line (DIR bit 7): set on power-on and media change, cleared by a step with media. */
  changed = true;
  /** Rotating sector index so READ ID sees different sectors pass. */
  nextIdSector = 0;

  constructor(readonly present: boolean) {}

  insert(media: FloppyMedia | null): void {
    if (media) {
      this.geometry = floppyGeometryForSize(media.image.length);
      this.readOnly = media.readOnly ?? false;
      const inPlace = media.writeMode === "in-place";
      this.media = media.image;
      this.sharedWithHost = !inPlace;
    } else {
      this.media = null;
      this.geometry = null;
      this.readOnly = false;
      this.sharedWithHost = false;
    }
    this.written = false;
    this.changed = true;
  }

  writable(): Uint8Array {
    if (this.sharedWithHost && this.media) {
      this.media = this.media.slice();
      this.sharedWithHost = false;
    }
    this.written = true;
    return this.media!;
  }
}

export class FloppyController implements Device {
  readonly name: string;
  readonly base: number;
  readonly irqLine: number;
  readonly dmaChannel: number;
  private readonly ctx: DeviceContext;
  private readonly dma: IsaDma;
  private readonly drives: FloppyDrive[];

  private dor = 0x0c;
  private tdr = 0;
  private dataRate = 0;
  private phase = Phase.Idle;
  private readonly command = new Uint8Array(16);
  private commandLength = 0;
  private commandExpected = 0;
  private readonly result = new Uint8Array(16);
  private resultLength = 0;
  private resultPos = 0;
  /** Non-DMA execution phase buffer. */
  private readonly data = new Uint8Array(MAX_TRACK_BYTES);
  private dataLength = 0;
  private dataPos = 0;
  // SPECIFY
  private stepRateHeadUnload = 0;
  private headLoadNonDma = 0;
  // CONFIGURE / LOCK / PERPENDICULAR
  private config = 0x60; // EIS (implied seek, as QEMU), EFIFO (FIFO disabled), polling enabled
  private precompTrack = 0;
  private locked = false;
  private perpendicular = 0;
  private lastEot = 0;
  /** INT output (before the DOR gate). */
  private interrupt = false;
  /** Sense-interrupt answers still owed after a reset (4 → 0). */
  private resetSenses = 0;
  /** Bit n: drive n finished a seek/recalibrate not yet sensed; ST0 per drive. */
  private seekDone = 0;
  private readonly seekSt0 = new Uint8Array(4);
  private irqLevel = false;
  /** Pending non-DMA transfer: what to do when the data phase is complete. */
  private execKind = 0; // 0 none, 1 read, 2 write, 3 format

  constructor(ctx: DeviceContext, options: FloppyControllerOptions) {
    this.ctx = ctx;
    this.dma = options.dma;
    this.base = options.base ?? 0x3f0;
    this.irqLine = options.irq ?? 6;
    this.dmaChannel = options.dmaChannel ?? 2;
    this.name = options.name ?? "fdc";
    if (options.drives.length > 2) throw new RangeError(`${this.name}: at most two floppy drives, got ${options.drives.length}`);
    this.drives = [];
    for (let i = 0; i < 2; i++) {
      const spec = options.drives[i];
      let present = false;
      let media: FloppyMedia | null = null;
      if (spec && "present" in spec) {
        present = spec.present;
        media = spec.media ?? null;
      } else if (spec) {
        present = true;
        media = spec;
      }
      const d = new FloppyDrive(present);
      if (present) d.insert(media);
      this.drives.push(d);
    }
    const b = this.base;
    ctx.io.register(b, 6, { in8: (p) => this.read(p - b), out8: (p, v) => this.write(p - b, v) }, this.name);
    ctx.io.register(b + 7, 1, { in8: () => this.read(7), out8: (_p, v) => this.write(7, v) }, this.name);
    this.reset();
  }

  reset(): void {
    this.dor = 0x0c;
    this.tdr = 0;
    this.dataRate = 0;
    this.stepRateHeadUnload = 0;
    this.headLoadNonDma = 0;
    this.config = 0x60;
    this.precompTrack = 0;
    this.locked = false;
    this.perpendicular = 0;
    this.lastEot = 0;
    for (const d of this.drives) {
      d.cylinder = 0;
      d.head = 0;
      d.changed = true;
    }
    this.controllerReset();
    this.resetSenses = 0;
    this.setInterrupt(false);
  }

  // --- Host API -------------------------------------------------------------------------------

  /** Inserts (or replaces) media in drive 0/1; validates the size. */
  insertMedia(drive: number, media: FloppyMedia): void {
    const d = this.drive(drive);
    d.insert(media);
  }

  eject(drive: number): void {
    this.drive(drive).insert(null);
  }

  /** The drive's current bytes (the private copy after guest writes under copy-on-write). */
  mediaImage(drive: number): Uint8Array | null {
    return this.drive(drive).media;
  }

  geometry(drive: number): FloppyGeometry | null {
    return this.drive(drive).geometry;
  }

  private drive(index: number): FloppyDrive {
    const d = this.drives[index];
    if (!d || !d.present) throw new RangeError(`${this.name}: there is no floppy drive ${index}`);
    return d;
  }

  // --- Registers ------------------------------------------------------------------------------

  private read(offset: number): number {
    switch (offset) {
      case 0: // SRA (PS/2): not an AT register
      case 1:
        return 0xff;
      case 2:
        return this.dor;
      case 3:
        return this.tdr;
      case 4:
        return this.msr();
      case 5:
        return this.readFifo();
      case 7: {
        const d = this.drives[this.dor & 3];
        return d && d.present && d.changed ? 0x80 : 0x00;
      }
      default:
        return 0xff;
    }
  }

  private write(offset: number, value: number): void {
    switch (offset) {
      case 2: {
        const old = this.dor;
        this.dor = value;
        if ((value & 0x04) === 0) this.controllerReset();
        else if ((old & 0x04) === 0) this.leaveReset();
        this.updateIrq();
        return;
      }
      case 3:
        this.tdr = value & 3;
        return;
      case 4: // DSR
        this.dataRate = value & 3;
        if (value & 0x80) {
          this.controllerReset();
          this.leaveReset();
        }
        return;
      case 5:
        this.writeFifo(value);
        return;
      case 7: // CCR
        this.dataRate = value & 3;
        return;
    }
  }

  private msr(): number {
    if ((this.dor & 0x04) === 0) return 0;
    switch (this.phase) {
      case Phase.Idle:
        return MSR_RQM;
      case Phase.Command:
        return MSR_RQM | MSR_CB;
      case Phase.ExecRead:
        return MSR_RQM | MSR_DIO | MSR_NDMA | MSR_CB;
      case Phase.ExecWrite:
        return MSR_RQM | MSR_NDMA | MSR_CB;
      default:
        return MSR_RQM | MSR_DIO | MSR_CB;
    }
  }

  private controllerReset(): void {
    this.phase = Phase.Idle;
    this.commandLength = 0;
    this.resultLength = this.resultPos = 0;
    this.dataLength = this.dataPos = 0;
    this.execKind = 0;
    this.seekDone = 0;
    if (!this.locked) {
      this.config = 0x60;
      this.precompTrack = 0;
    }
    this.perpendicular &= 0x3c; // a software reset clears GAP and WGATE, keeps the drive bits
    this.setInterrupt(false);
  }

  private leaveReset(): void {
    // Polling after reset reports a ready change for each of the four drive positions.
    this.resetSenses = 4;
    this.setInterrupt(true);
  }

  private readFifo(): number {
    if (this.phase === Phase.Result) {
      const v = this.result[this.resultPos++];
      this.setInterrupt(false);
      if (this.resultPos >= this.resultLength) this.phase = Phase.Idle;
      return v;
    }
    if (this.phase === Phase.ExecRead) {
      const v = this.data[this.dataPos++];
      if (this.dataPos >= this.dataLength) this.finishPio();
      return v;
    }
    return 0;
  }

  private writeFifo(value: number): void {
    if ((this.dor & 0x04) === 0) return;
    if (this.phase === Phase.ExecWrite) {
      this.data[this.dataPos++] = value;
      if (this.dataPos >= this.dataLength) this.finishPio();
      return;
    }
    if (this.phase === Phase.Result || this.phase === Phase.ExecRead) return; // not accepting
    if (this.phase === Phase.Idle) {
      this.commandLength = 0;
      this.commandExpected = FloppyController.commandLengthOf(value);
      this.phase = Phase.Command;
      this.setInterrupt(false);
    }
    this.command[this.commandLength++] = value;
    if (this.commandLength >= this.commandExpected) this.execute();
  }

  /** Total bytes (opcode + parameters) of a command; 1 for invalid ones. */
  private static commandLengthOf(op: number): number {
    switch (op & 0x1f) {
      case 0x03:
        return op === 0x03 ? 3 : 1;
      case 0x04:
        return op === 0x04 ? 2 : 1;
      case 0x05:
        return (op & 0x20) === 0 ? 9 : 1;
      case 0x06:
        return 9;
      case 0x07:
        return op === 0x07 ? 2 : 1;
      case 0x0a:
        return (op & 0xbf) === 0x0a ? 2 : 1;
      case 0x0d:
        return (op & 0xbf) === 0x0d ? 6 : 1;
      case 0x0f:
        return op === 0x0f || (op & 0xbf) === 0x8f ? 3 : 1;
      case 0x12:
        return op === 0x12 ? 2 : 1;
      case 0x13:
        return op === 0x13 ? 4 : 1;
      default:
        return 1;
    }
  }

  private execute(): void {
    const op = this.command[0];
    const c = this.command;
    switch (op & 0x1f) {
      case 0x03:
        if (op === 0x03) {
          this.stepRateHeadUnload = c[1];
          this.headLoadNonDma = c[2];
          this.phase = Phase.Idle;
          return;
        }
        break;
      case 0x04:
        if (op === 0x04) return this.senseDriveStatus();
        break;
      case 0x05:
        if ((op & 0x20) === 0) return this.readWrite(true);
        break;
      case 0x06:
        return this.readWrite(false);
      case 0x07:
        if (op === 0x07) return this.seek(c[1] & 3, 0, true);
        break;
      case 0x08:
        if (op === 0x08) return this.senseInterrupt();
        break;
      case 0x0a:
        if ((op & 0xbf) === 0x0a) return this.readId();
        break;
      case 0x0d:
        if ((op & 0xbf) === 0x0d) return this.formatTrack();
        break;
      case 0x0e:
        if (op === 0x0e) return this.dumpRegisters();
        break;
      case 0x0f:
        if (op === 0x0f) return this.seek(c[1] & 3, c[2], false, (c[1] >> 2) & 1);
        if ((op & 0xbf) === 0x8f) {
          // Relative seek: bit 6 = direction (1 = inwards, towards higher cylinders).
          const d = this.drives[c[1] & 3];
          const from = d ? d.cylinder : 0;
          const to = op & 0x40 ? Math.min(255, from + c[2]) : Math.max(0, from - c[2]);
          return this.seek(c[1] & 3, to, false, (c[1] >> 2) & 1);
        }
        break;
      case 0x10:
        if (op === 0x10) return this.setResult([0x90], false);
        break;
      case 0x12:
        if (op === 0x12) {
          if (c[1] & 0x80) this.perpendicular = c[1] & 0x7f;
          else this.perpendicular = (this.perpendicular & 0x3c) | (c[1] & 0x43);
          this.phase = Phase.Idle;
          return;
        }
        break;
      case 0x13:
        if (op === 0x13) {
          this.config = c[2] & 0x7f;
          this.precompTrack = c[3];
          this.phase = Phase.Idle;
          return;
        }
        break;
      case 0x14:
        if ((op & 0x7f) === 0x14) {
          this.locked = (op & 0x80) !== 0;
          return this.setResult([this.locked ? 0x10 : 0], false);
        }
        break;
    }
    this.setResult([ST0_INVALID], false);
  }

  private setResult(bytes: number[], interrupt: boolean): void {
    this.result.set(bytes);
    this.resultLength = bytes.length;
    this.resultPos = 0;
    this.phase = Phase.Result;
    if (interrupt) this.setInterrupt(true);
  }

  private setInterrupt(level: boolean): void {
    this.interrupt = level;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.interrupt && (this.dor & 0x08) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.ctx.irq.setIrq(this.irqLine, level);
    }
  }

  // --- Commands -------------------------------------------------------------------------------

  private senseDriveStatus(): void {
    const ds = this.command[1] & 3;
    const head = (this.command[1] >> 2) & 1;
    const d = this.drives[ds];
    let st3 = ds | (head << 2) | 0x20;
    if (d && d.present) {
      if (d.cylinder === 0) st3 |= 0x10;
      if (d.readOnly || !d.media) st3 |= 0x40;
      st3 |= 0x08;
    }
    this.setResult([st3], false);
  }

  private seek(ds: number, cylinder: number, recalibrate: boolean, head = 0): void {
    const d = this.drives[ds];
    let st0 = ST0_SEEK_END | (head << 2) | ds;
    if (!d || !d.present) {
      // No drive answers with track 0: the controller gives up (equipment check).
      if (recalibrate) st0 |= ST0_ABNORMAL | ST0_EQUIPMENT;
    } else {
      const target = recalibrate ? 0 : cylinder;
      // The disk-change line clears on a step pulse with media in the drive, so only a real move counts.
      if (d.media && target !== d.cylinder) d.changed = false;
      d.cylinder = target;
      d.head = head;
    }
    this.seekSt0[ds] = st0;
    this.seekDone |= 1 << ds;
    this.phase = Phase.Idle;
    this.setInterrupt(true);
  }

  private senseInterrupt(): void {
    if (this.resetSenses > 0) {
      const ds = 4 - this.resetSenses;
      this.resetSenses--;
      const d = this.drives[ds];
      this.setResult([0xc0 | ds, d ? d.cylinder : 0], false);
      this.setInterrupt(false);
      return;
    }
    if (this.seekDone) {
      let ds = 0;
      while (!(this.seekDone & (1 << ds))) ds++;
      this.seekDone &= ~(1 << ds);
      const d = this.drives[ds];
      this.setResult([this.seekSt0[ds], d ? d.cylinder : 0], false);
      if (!this.seekDone) this.setInterrupt(false);
      return;
    }
    this.setInterrupt(false);
    this.setResult([ST0_INVALID], false);
  }

  private dumpRegisters(): void {
    const pcn = (i: number) => this.drives[i]?.cylinder ?? 0;
    this.setResult(
      [
        pcn(0),
        pcn(1),
        pcn(2),
        pcn(3),
        this.stepRateHeadUnload,
        this.headLoadNonDma,
        this.lastEot,
        (this.locked ? 0x80 : 0) | ((this.perpendicular & 0x3c) << 0) | (this.perpendicular & 0x03),
        this.config,
        this.precompTrack,
      ],
      false,
    );
  }

  /** Result bytes for an error before any transfer. */
  private errorResult(ds: number, head: number, st0: number, st1: number, st2: number): void {
    const c = this.command;
    this.setResult([ST0_ABNORMAL | st0 | (head << 2) | ds, st1, st2, c[2], c[3], c[4], c[5]], true);
  }

  private dmaMode(): boolean {
    return (this.headLoadNonDma & 1) === 0;
  }

  /** Checks drive/media/track before a data command; returns the drive or null (result set). */
  private checkTrack(ds: number, head: number, forWrite: boolean): FloppyDrive | null {
    const d = this.drives[ds];
    if (!d || !d.present || !d.media || !d.geometry) {
      this.errorResult(ds, head, ST0_NOT_READY, ST1_MA, 0);
      return null;
    }
    if ((this.command[0] & 0x40) === 0 || d.cylinder >= d.geometry.cylinders || head >= d.geometry.heads) {
      this.errorResult(ds, head, 0, ST1_MA, 0); // FM mode, or no formatted track under the head
      return null;
    }
    if (forWrite && d.readOnly) {
      this.errorResult(ds, head, 0, ST1_NW, 0);
      return null;
    }
    return d;
  }

  private sectorOffset(d: FloppyDrive, head: number, sector: number): number {
    const g = d.geometry!;
    return ((d.cylinder * g.heads + head) * g.sectorsPerTrack + (sector - 1)) * SECTOR;
  }

  // Transfer cursor for READ/WRITE DATA.
  private xDrive = 0;
  private xHead = 0;
  private xCyl = 0;
  private xSector = 0;
  private xEot = 0;
  private xMultiTrack = false;
  private xEndOfTrack = false;

  private readWrite(write: boolean): void {
    const c = this.command;
    const ds = c[1] & 3;
    const head = (c[1] >> 2) & 1;
    // Implied seek to the requested cylinder. The 82077AA only does this with CONFIGURE's EIS bit,
    // but QEMU always does, and SeaBIOS's INT 13h relies on it (it never issues SEEK).
    const d0 = this.drives[ds];
    if (d0 && d0.present && d0.cylinder !== c[2]) {
      d0.cylinder = c[2];
      if (d0.media) d0.changed = false;
    }
    const d = this.checkTrack(ds, head, write);
    if (!d) return;
    const g = d.geometry!;
    this.lastEot = c[6];
    if (c[5] !== 2 || c[4] < 1 || c[4] > g.sectorsPerTrack) {
      this.errorResult(ds, head, 0, ST1_ND, 0);
      return;
    }
    this.xDrive = ds;
    this.xHead = head;
    this.xCyl = c[2];
    this.xSector = c[4];
    this.xEot = c[6];
    this.xMultiTrack = (c[0] & 0x80) !== 0 && g.heads === 2;
    this.xEndOfTrack = false;

    if (this.dmaMode()) {
      if (this.dma.remaining(this.dmaChannel) === 0 || (this.dor & 0x08) === 0) {
        this.errorResult(ds, head, 0, ST1_OR, 0);
        return;
      }
      let tc = false;
      let st1 = 0;
      while (!tc && !this.xEndOfTrack) {
        if (this.xSector > g.sectorsPerTrack) {
          st1 = ST1_ND;
          break;
        }
        const off = this.sectorOffset(d, this.xHead, this.xSector);
        let moved: number;
        if (write) {
          const bytes = this.dma.readFromMemory(this.dmaChannel, SECTOR);
          const img = d.writable();
          img.fill(0, off, off + SECTOR);
          img.set(bytes, off);
          moved = bytes.length;
        } else moved = this.dma.writeToMemory(this.dmaChannel, d.media!.subarray(off, off + SECTOR));
        this.advanceSector();
        if (moved < SECTOR || this.dma.remaining(this.dmaChannel) === 0) tc = true;
      }
      this.finishTransfer(tc, st1);
      return;
    }
    // Non-DMA: stage the whole run up to EOT in the FIFO buffer.
    let length = 0;
    let sector = this.xSector;
    let hd = this.xHead;
    for (;;) {
      if (sector > g.sectorsPerTrack) break;
      if (!write) this.data.set(d.media!.subarray(this.sectorOffset(d, hd, sector), this.sectorOffset(d, hd, sector) + SECTOR), length);
      length += SECTOR;
      if (sector === this.xEot || length >= MAX_TRACK_BYTES) {
        if (this.xMultiTrack && hd === 0) {
          hd = 1;
          sector = 1;
          continue;
        }
        break;
      }
      sector++;
    }
    this.dataLength = length;
    this.dataPos = 0;
    this.execKind = write ? 2 : 1;
    this.phase = write ? Phase.ExecWrite : Phase.ExecRead;
    this.setInterrupt(true);
  }

  /** Steps the transfer cursor past one sector (EOT → other side or next cylinder). */
  private advanceSector(): void {
    if (this.xSector === this.xEot) {
      this.xSector = 1;
      if (this.xMultiTrack && this.xHead === 0) this.xHead = 1;
      else {
        if (this.xMultiTrack) this.xHead = 0;
        this.xCyl = (this.xCyl + 1) & 0xff;
        this.xEndOfTrack = true;
      }
    } else this.xSector++;
  }

  private finishTransfer(tc: boolean, st1: number): void {
    const ds = this.xDrive;
    let st0 = (this.xHead << 2) | ds;
    if (st1) st0 |= ST0_ABNORMAL;
    else if (!tc) {
      st0 |= ST0_ABNORMAL; // ran off the end of the track without terminal count
      st1 = ST1_EN;
    }
    this.setResult([st0, st1, 0, this.xCyl, this.xHead, this.xSector, 2], true);
  }

  /** The CPU moved the last non-DMA byte. */
  private finishPio(): void {
    const d = this.drives[this.xDrive];
    const kind = this.execKind;
    this.execKind = 0;
    if (kind === 3) {
      this.applyFormat(this.data.subarray(0, this.dataLength));
      return;
    }
    const sectors = this.dataLength / SECTOR;
    for (let i = 0; i < sectors; i++) {
      if (kind === 2 && d.media) {
        const off = this.sectorOffset(d, this.xHead, this.xSector);
        d.writable().set(this.data.subarray(i * SECTOR, (i + 1) * SECTOR), off);
      }
      this.advanceSector();
    }
    this.finishTransfer(false, 0);
  }

  private readId(): void {
    const ds = this.command[1] & 3;
    const head = (this.command[1] >> 2) & 1;
    const d = this.checkTrack(ds, head, false);
    if (!d) return;
    const spt = d.geometry!.sectorsPerTrack;
    d.nextIdSector = (d.nextIdSector % spt) + 1;
    this.setResult([(head << 2) | ds, 0, 0, d.cylinder, head, d.nextIdSector, 2], true);
  }

  private formatTrack(): void {
    const c = this.command;
    const ds = c[1] & 3;
    const head = (c[1] >> 2) & 1;
    const d = this.checkTrack(ds, head, true);
    if (!d) return;
    const count = c[3];
    this.xDrive = ds;
    this.xHead = head;
    if (this.dmaMode()) {
      if (this.dma.remaining(this.dmaChannel) === 0 || (this.dor & 0x08) === 0) {
        this.errorResult(ds, head, 0, ST1_OR, 0);
        return;
      }
      this.applyFormat(this.dma.readFromMemory(this.dmaChannel, count * 4));
      return;
    }
    this.dataLength = count * 4;
    this.dataPos = 0;
    this.execKind = 3;
    if (this.dataLength === 0) return this.applyFormat(new Uint8Array(0));
    this.phase = Phase.ExecWrite;
    this.setInterrupt(true);
  }

  /** Fills each sector named by the C/H/R/N list with the filler byte. */
  private applyFormat(ids: Uint8Array): void {
    const c = this.command;
    const d = this.drives[this.xDrive];
    const g = d.geometry!;
    const filler = c[5];
    let lastR = 0;
    const img = d.writable();
    for (let i = 0; i + 3 < ids.length; i += 4) {
      const r = ids[i + 2];
      lastR = r;
      if (r >= 1 && r <= g.sectorsPerTrack && ids[i + 3] === 2) {
        const off = this.sectorOffset(d, this.xHead, r);
        img.fill(filler, off, off + SECTOR);
      }
    }
    this.setResult([(this.xHead << 2) | this.xDrive, 0, 0, d.cylinder, this.xHead, (lastR + 1) & 0xff, c[2]], true);
  }

  // --- State ----------------------------------------------------------------------------------

  private static readonly STATE = new StateLayout<FloppyController>("fdc82077", 1, {
    dor: u8(),
    tdr: range(0, 3),
    dataRate: range(0, 3),
    phase: range(0, 4),
    command: typed(Uint8Array, 16),
    commandLength: range(0, 16),
    commandExpected: range(0, 16),
    result: typed(Uint8Array, 16),
    resultLength: range(0, 16),
    resultPos: range(0, 16),
    /** The sector data of the transfer in progress (empty when none). */
    data: typedUpTo(Uint8Array, MAX_TRACK_BYTES, {
      get: (c: FloppyController) => c.data.subarray(0, c.dataLength),
      set: (c: FloppyController, v: Uint8Array) => {
        c.data.set(v);
        c.dataLength = v.length;
      },
    }),
    dataPos: range(0, MAX_TRACK_BYTES),
    stepRateHeadUnload: u8(),
    headLoadNonDma: u8(),
    config: u8(),
    precompTrack: u8(),
    locked: bool(),
    perpendicular: u8(),
    lastEot: u8(),
    interrupt: bool(),
    resetSenses: range(0, 4),
    seekDone: range(0, 15),
    seekSt0: typed(Uint8Array, 4),
    execKind: range(0, 3),
    /** The transfer cursor: [drive, head, cylinder, sector, end of track, multi-track]. */
    cursor: tuple(6, {
      get: (c: FloppyController) => [c.xDrive, c.xHead, c.xCyl, c.xSector, c.xEot, c.xMultiTrack ? 1 : 0],
      set: (c: FloppyController, v: number[]) => {
        [c.xDrive, c.xHead, c.xCyl, c.xSector, c.xEot] = [v[0] & 1, v[1] & 1, v[2] & 0xff, v[3] & 0xff, v[4] & 0xff];
        c.xMultiTrack = v[5] !== 0;
      },
    }),
    drives: records(DRIVE_FIELDS, 2),
  }, {
    rule: (f) => ((f.dataPos as number) > (f.data as Uint8Array).length ? `field "dataPos" is past the ${(f.data as Uint8Array).length} data bytes` : null),
  });

  saveState(): SavedState {
    return FloppyController.STATE.save(this);
  }

  checkState(state: SavedState): SavedState["fields"] {
    const f = FloppyController.STATE.check(state);
    (f.drives as unknown as SavedDrive[]).forEach((s, i) => {
      const d = this.drives[i];
      const o = `fdc82077: drive ${i}`;
      if (s.present !== d.present) throw new StateError(`${o} presence differs from this machine's configuration`);
      if (s.image) {
        try {
          floppyGeometryForSize(s.image.length);
        } catch (e) {
          throw new StateError(`${o}: ${(e as Error).message}`);
        }
      } else if (s.hasMedia && (!d.media || d.media.length !== s.mediaBytes)) {
        throw new StateError(`${o} had ${s.mediaBytes}-byte media; insert the same image before restoring`);
      }
    });
    return f;
  }

  loadState(state: SavedState): void {
    const f = this.checkState(state);
    FloppyController.STATE.apply(this, f);
    (f.drives as unknown as SavedDrive[]).forEach((s, i) => {
      const d = this.drives[i];
      const { cylinder, head, changed } = d; // insert() resets these; the saved values win
      if (s.image) {
        d.insert({ image: s.image.slice(), readOnly: s.readOnly, writeMode: "in-place" });
        d.written = true;
      } else if (!s.hasMedia && d.present) d.insert(null);
      [d.cylinder, d.head, d.changed] = [cylinder, head, changed];
    });
    this.irqLevel = false;
    this.ctx.irq.setIrq(this.irqLine, false);
    this.updateIrq();
  }
}
