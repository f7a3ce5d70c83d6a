// An ATA hard disk behind the IDE controller: IDENTIFY DEVICE, PIO READ/WRITE SECTORS (+ MULTIPLE,
// + EXT), READ/WRITE DMA (+ EXT) through the bus master, READ VERIFY, SEEK, SET FEATURES, SET
// MULTIPLE MODE, INITIALIZE DEVICE PARAMETERS, power management, FLUSH CACHE, EXECUTE DEVICE
// DIAGNOSTIC. Also the image store shared by the block devices: the caller's bytes, written in
// place or through a copy-on-write overlay of 64 KiB chunks (which snapshots carry).

import { type SavedState, type StateValue, type Stateful, StateLayout, StateError, bool, f64, range, record, typedUpTo, u8 } from "../../state.ts";
import type { IdeCommandSet, IdeDrive } from "./ide-controller.ts";

// ATA status bits
export const ATA_BSY = 0x80;
export const ATA_DRDY = 0x40;
export const ATA_DF = 0x20;
export const ATA_DSC = 0x10;
export const ATA_DRQ = 0x08;
export const ATA_ERR = 0x01;
// ATA error bits
export const ATA_ABRT = 0x04;
export const ATA_IDNF = 0x10;
export const ATA_UNC = 0x40;

const SECTOR = 512;
const CHUNK = 0x10000;
/** READ/WRITE MULTIPLE block size limit advertised in IDENTIFY word 47. */
const MAX_MULTIPLE = 16;
/** Sectors moved per DMA step (bounded staging buffer). */
const DMA_STEP_SECTORS = 128;

export type WriteMode = "in-place" | "copy-on-write";

/** A block device image: reads see guest writes; writes go in place or to a chunked overlay. */
/** Written chunks of a copy-on-write image: chunk numbers and their bytes back to back. */
export interface SavedOverlay {
  length: number;
  chunks: Uint32Array;
  data: Uint8Array;
}

export class DiskImageStore {
  readonly length: number;
  private readonly overlay = new Map<number, Uint8Array>();
  /** Overlay chunks written since the host last took them (takeDirty): what to persist next. */
  private readonly dirty = new Set<number>();

  constructor(
    private readonly image: Uint8Array,
    readonly writeMode: WriteMode,
  ) {
    this.length = image.length;
  }

  read(offset: number, into: Uint8Array, intoOffset: number, length: number): void {
    if (this.overlay.size === 0) {
      into.set(this.image.subarray(offset, offset + length), intoOffset);
      return;
    }
    while (length > 0) {
      const chunk = Math.floor(offset / CHUNK);
      const within = offset - chunk * CHUNK;
      const n = Math.min(length, CHUNK - within);
      const src = this.overlay.get(chunk);
      if (src) into.set(src.subarray(within, within + n), intoOffset);
      else into.set(this.image.subarray(offset, offset + n), intoOffset);
      offset += n;
      intoOffset += n;
      length -= n;
    }
  }

  write(offset: number, from: Uint8Array, fromOffset: number, length: number): void {
    if (this.writeMode === "in-place") {
      this.image.set(from.subarray(fromOffset, fromOffset + length), offset);
      return;
    }
    while (length > 0) {
      const chunk = Math.floor(offset / CHUNK);
      const within = offset - chunk * CHUNK;
      const n = Math.min(length, CHUNK - within);
      let dst = this.overlay.get(chunk);
      if (!dst) {
        dst = new Uint8Array(Math.min(CHUNK, this.length - chunk * CHUNK));
        dst.set(this.image.subarray(chunk * CHUNK, chunk * CHUNK + dst.length));
        this.overlay.set(chunk, dst);
      }
      dst.set(from.subarray(fromOffset, fromOffset + n), within);
      this.dirty.add(chunk);
      offset += n;
      fromOffset += n;
      length -= n;
    }
  }

  /** Overlay chunks for snapshots (empty for in-place images, whose bytes the host keeps). */
  saveOverlay(): SavedOverlay {
    const keys = [...this.overlay.keys()].sort((a, b) => a - b);
    const data = new Uint8Array(keys.reduce((n, k) => n + this.overlay.get(k)!.length, 0));
    let at = 0;
    for (const k of keys) {
      data.set(this.overlay.get(k)!, at);
      at += this.overlay.get(k)!.length;
    }
    return { length: this.length, chunks: new Uint32Array(keys), data };
  }

  /** What is wrong with a saved overlay for this image, or null. */
  overlayProblem(v: SavedOverlay): string | null {
    if (v.length !== this.length) return `disk overlay is for a ${v.length}-byte image, this one has ${this.length}`;
    let at = 0;
    for (const k of v.chunks) {
      const size = Math.min(CHUNK, this.length - k * CHUNK);
      if (size <= 0 || at + size > v.data.length) return `disk overlay chunk ${k} is out of range`;
      at += size;
    }
    return null;
  }

  /** Takes a saved overlay that overlayProblem accepted. */
  loadOverlay(v: SavedOverlay): void {
    this.overlay.clear();
    this.dirty.clear();
    let at = 0;
    for (const k of v.chunks) {
      const size = Math.min(CHUNK, this.length - k * CHUNK);
      this.overlay.set(k, v.data.slice(at, at + size));
      this.dirty.add(k);
      at += size;
    }
  }

  /** True when overlay chunks were written (or loaded) since the last takeDirty. */
  get hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  /** Copies of up to `maxChunks` chunks written since the last call, in the overlay layout (the
   *  host persists them; a chunk written again later is dirty again). */
  takeDirty(maxChunks: number): SavedOverlay {
    const keys = [...this.dirty].sort((a, b) => a - b).slice(0, Math.max(1, maxChunks));
    const data = new Uint8Array(keys.reduce((n, k) => n + this.overlay.get(k)!.length, 0));
    let at = 0;
    for (const k of keys) {
      this.dirty.delete(k);
      data.set(this.overlay.get(k)!, at);
      at += this.overlay.get(k)!.length;
    }
    return { length: this.length, chunks: new Uint32Array(keys), data };
  }
}

export interface AtaDiskOptions {
  image: Uint8Array;
  writeMode?: WriteMode;
  model?: string;
  serial?: string;
  /** Set by the controller for messages, e.g. "primary master". */
  label?: string;
}

/** Writes `text` into IDENTIFY words [first, first+words) as ATA strings (two chars per word, big-endian). */
function identifyString(id: Uint16Array, first: number, words: number, text: string): void {
  const s = text.padEnd(words * 2, " ").slice(0, words * 2);
  for (let i = 0; i < words; i++) id[first + i] = (s.charCodeAt(2 * i) << 8) | s.charCodeAt(2 * i + 1);
}

/** Word 255: signature 0xA5 and a checksum byte making all 512 bytes sum to zero. */
export function sealIdentify(id: Uint16Array): void {
  id[255] = 0x00a5;
  let sum = 0;
  for (let i = 0; i < 255; i++) sum += (id[i] & 0xff) + (id[i] >>> 8);
  sum += 0xa5;
  id[255] |= ((-sum) & 0xff) << 8;
}

const enum Op {
  None = 0,
  PioRead = 1,
  PioWrite = 2,
  DmaRead = 3,
  DmaWrite = 4,
}

export class AtaDisk implements IdeCommandSet, Stateful {
  readonly isAtapi = false;
  readonly store: DiskImageStore;
  readonly sectors: number;
  private readonly label: string;
  private readonly model: string;
  private readonly serial: string;
  private readonly defaultCylinders: number;
  private readonly defaultHeads = 16;
  private readonly defaultSectors = 63;
  // Settable state
  private logicalHeads = 16;
  private logicalSectors = 63;
  private multipleCount = 0;
  private transferMode = 0x0c; // PIO mode 4 (SET FEATURES 03 value)
  private writeCache = true;
  private standby = false;
  // Current transfer
  private op = Op.None;
  private lba = 0;
  private remaining = 0;
  private blockSectors = 1;
  private ext = false;

  constructor(options: AtaDiskOptions) {
    this.label = options.label ?? "ata disk";
    const image = options.image;
    if (!(image instanceof Uint8Array) || image.length === 0 || image.length % SECTOR !== 0) {
      throw new RangeError(`${this.label}: disk image must be a non-empty multiple of 512 bytes, got ${image?.length} bytes`);
    }
    this.store = new DiskImageStore(image, options.writeMode ?? "copy-on-write");
    this.sectors = image.length / SECTOR;
    this.model = options.model ?? "Hypertab ATA disk";
    this.serial = options.serial ?? `HT${this.sectors.toString(16).toUpperCase().padStart(8, "0")}`;
    this.defaultCylinders = Math.max(1, Math.min(16383, Math.floor(this.sectors / (16 * 63))));
  }

  reset(): void {
    this.logicalHeads = this.defaultHeads;
    this.logicalSectors = this.defaultSectors;
    this.multipleCount = 0;
    this.transferMode = 0x0c;
    this.writeCache = true;
    this.standby = false;
    this.op = Op.None;
    this.remaining = 0;
  }

  identify(): Uint16Array {
    const id = new Uint16Array(256);
    const total28 = Math.min(this.sectors, 0x0fffffff);
    const chsSectors = Math.min(this.sectors, this.defaultCylinders * 16 * 63);
    const curCyl = Math.min(65535, Math.floor(chsSectors / (this.logicalHeads * this.logicalSectors)));
    const curCapacity = curCyl * this.logicalHeads * this.logicalSectors;
    id[0] = 0x0040; // fixed disk
    id[1] = this.defaultCylinders;
    id[3] = this.defaultHeads;
    id[6] = this.defaultSectors;
    identifyString(id, 10, 10, this.serial);
    id[20] = 3;
    id[21] = 512;
    identifyString(id, 23, 4, "1.0");
    identifyString(id, 27, 20, this.model);
    id[47] = 0x8000 | MAX_MULTIPLE;
    id[49] = 0x0f00; // IORDY, IORDY disable, LBA, DMA
    id[50] = 0x4000;
    id[51] = 0x0200;
    id[52] = 0x0200;
    id[53] = 0x0007; // words 54-58, 64-70 and 88 valid
    id[54] = curCyl;
    id[55] = this.logicalHeads;
    id[56] = this.logicalSectors;
    id[57] = curCapacity & 0xffff;
    id[58] = curCapacity >>> 16;
    id[59] = this.multipleCount ? 0x0100 | this.multipleCount : 0;
    id[60] = total28 & 0xffff;
    id[61] = total28 >>> 16;
    const mode = this.transferMode;
    id[63] = 0x0007 | ((mode & 0xf8) === 0x20 ? 0x100 << (mode & 7) : 0); // MWDMA 0-2
    id[64] = 0x0003; // PIO 3-4
    id[65] = 120;
    id[66] = 120;
    id[67] = 120;
    id[68] = 120;
    id[80] = 0x007e; // ATA-1..ATA-6
    id[82] = 0x4060; // NOP, write cache, look-ahead
    id[83] = 0x7400; // LBA48, FLUSH CACHE, FLUSH CACHE EXT
    id[84] = 0x4000;
    id[85] = 0x4040 | (this.writeCache ? 0x20 : 0);
    id[86] = 0x3400;
    id[87] = 0x4000;
    id[88] = 0x003f | ((mode & 0xf8) === 0x40 ? 0x100 << (mode & 7) : 0); // UDMA 0-5
    id[93] = 0x4000 | 0x2000; // reset results valid, 80-conductor cable
    id[100] = this.sectors & 0xffff;
    id[101] = Math.floor(this.sectors / 0x10000) & 0xffff;
    id[102] = Math.floor(this.sectors / 0x100000000) & 0xffff;
    id[103] = 0;
    sealIdentify(id);
    return id;
  }

  command(drive: IdeDrive, command: number): void {
    this.op = Op.None;
    switch (command) {
      case 0xec: {
        const id = this.identify();
        new Uint8Array(drive.buffer.buffer, 0, SECTOR).set(new Uint8Array(id.buffer));
        drive.startPioIn(SECTOR, true);
        return;
      }
      case 0x20:
      case 0x21:
        return this.startTransfer(drive, Op.PioRead, false, 1);
      case 0x24:
        return this.startTransfer(drive, Op.PioRead, true, 1);
      case 0xc4:
      case 0x29:
        if (!this.multipleCount) return drive.fail(ATA_ABRT);
        return this.startTransfer(drive, Op.PioRead, command === 0x29, this.multipleCount);
      case 0x30:
      case 0x31:
        return this.startTransfer(drive, Op.PioWrite, false, 1);
      case 0x34:
        return this.startTransfer(drive, Op.PioWrite, true, 1);
      case 0xc5:
      case 0x39:
        if (!this.multipleCount) return drive.fail(ATA_ABRT);
        return this.startTransfer(drive, Op.PioWrite, command === 0x39, this.multipleCount);
      case 0xc8:
      case 0xc9:
        return this.startTransfer(drive, Op.DmaRead, false, 1);
      case 0x25:
        return this.startTransfer(drive, Op.DmaRead, true, 1);
      case 0xca:
      case 0xcb:
        return this.startTransfer(drive, Op.DmaWrite, false, 1);
      case 0x35:
        return this.startTransfer(drive, Op.DmaWrite, true, 1);
      case 0x40:
      case 0x41:
      case 0x42: {
        // READ VERIFY: check the range, move no data.
        const r = this.range(drive, command === 0x42);
        if (!r) return;
        drive.setLba(r.lba + r.count - 1, command === 0x42);
        return drive.complete();
      }
      case 0xc6: {
        const n = drive.count;
        if (n > MAX_MULTIPLE || (n & (n - 1)) !== 0) return drive.fail(ATA_ABRT);
        this.multipleCount = n;
        return drive.complete();
      }
      case 0x91:
        this.logicalHeads = (drive.device & 0x0f) + 1;
        this.logicalSectors = drive.count;
        return drive.complete();
      case 0xef:
        return this.setFeatures(drive);
      case 0xe0:
      case 0x94:
      case 0xe2:
      case 0x96:
      case 0xe6:
      case 0x99:
        this.standby = true;
        return drive.complete();
      case 0xe1:
      case 0x95:
      case 0xe3:
      case 0x97:
        this.standby = false;
        return drive.complete();
      case 0xe5:
      case 0x98:
        drive.count = this.standby ? 0x00 : 0xff;
        return drive.complete();
      case 0xe7:
      case 0xea:
        return drive.complete();
      case 0x90:
        // Diagnostic passed; device 0 reports for the pair.
        drive.setSignature();
        return drive.raiseInterrupt();
      default:
        if ((command & 0xf0) === 0x70 || (command & 0xf0) === 0x10) {
          // SEEK / RECALIBRATE
          return drive.complete();
        }
        return drive.fail(ATA_ABRT);
    }
  }

  private setFeatures(drive: IdeDrive): void {
    switch (drive.feature) {
      case 0x03: {
        const v = drive.count;
        const kind = v & 0xf8;
        const mode = v & 7;
        const ok = ((kind === 0x00 || kind === 0x08) && mode <= 4) || (kind === 0x20 && mode <= 2) || (kind === 0x40 && mode <= 5);
        if (!ok) return drive.fail(ATA_ABRT);
        this.transferMode = v;
        return drive.complete();
      }
      case 0x02:
        this.writeCache = true;
        return drive.complete();
      case 0x82:
        this.writeCache = false;
        return drive.complete();
      case 0xaa:
      case 0x55:
      case 0x66:
      case 0xcc:
        return drive.complete(); // look-ahead / revert-to-defaults switches: no effect here
      default:
        return drive.fail(ATA_ABRT);
    }
  }

  /** Decodes the addressed range; reports IDNF and returns null when it is outside the disk. */
  private range(drive: IdeDrive, ext: boolean): { lba: number; count: number } | null {
    let lba: number;
    let count: number;
    if (ext) {
      lba = drive.lba48();
      count = (drive.hobCount << 8) | drive.count || 0x10000;
    } else {
      count = drive.count || 256;
      if (drive.device & 0x40) lba = drive.lba28();
      else {
        const cyl = (drive.lbaHigh << 8) | drive.lbaMid;
        const head = drive.device & 0x0f;
        const sector = drive.lbaLow;
        if (sector === 0 || sector > this.logicalSectors || head >= this.logicalHeads) {
          drive.fail(ATA_IDNF);
          return null;
        }
        lba = (cyl * this.logicalHeads + head) * this.logicalSectors + sector - 1;
      }
    }
    if (lba + count > this.sectors) {
      drive.fail(ATA_IDNF);
      return null;
    }
    return { lba, count };
  }

  private startTransfer(drive: IdeDrive, op: Op, ext: boolean, block: number): void {
    const r = this.range(drive, ext);
    if (!r) return;
    this.op = op;
    this.lba = r.lba;
    this.remaining = r.count;
    this.blockSectors = block;
    this.ext = ext;
    this.standby = false;
    switch (op) {
      case Op.PioRead:
        return this.loadBlock(drive);
      case Op.PioWrite:
        return drive.startPioOut(Math.min(this.remaining, this.blockSectors) * SECTOR, false);
      default:
        return drive.startDma();
    }
  }

  private loadBlock(drive: IdeDrive): void {
    const n = Math.min(this.remaining, this.blockSectors);
    this.store.read(this.lba * SECTOR, drive.buffer, 0, n * SECTOR);
    drive.startPioIn(n * SECTOR, true);
  }

  pioInDone(drive: IdeDrive): void {
    if (this.op !== Op.PioRead) {
      drive.status = ATA_DRDY | ATA_DSC;
      return;
    }
    const n = Math.min(this.remaining, this.blockSectors);
    this.lba += n;
    this.remaining -= n;
    if (this.remaining > 0) this.loadBlock(drive);
    else {
      this.op = Op.None;
      drive.setLba(this.lba - 1, this.ext);
      drive.complete(false);
    }
  }

  pioOutDone(drive: IdeDrive): void {
    if (this.op !== Op.PioWrite) return;
    const n = Math.min(this.remaining, this.blockSectors);
    this.store.write(this.lba * SECTOR, drive.buffer, 0, n * SECTOR);
    this.lba += n;
    this.remaining -= n;
    if (this.remaining > 0) drive.startPioOut(Math.min(this.remaining, this.blockSectors) * SECTOR, true);
    else {
      this.op = Op.None;
      drive.setLba(this.lba - 1, this.ext);
      drive.complete(true);
    }
  }

  dmaReady(drive: IdeDrive): void {
    const toMemory = this.op === Op.DmaRead;
    if (this.op !== Op.DmaRead && this.op !== Op.DmaWrite) return;
    while (this.remaining > 0) {
      const n = Math.min(this.remaining, DMA_STEP_SECTORS);
      const chunk = drive.buffer.subarray(0, n * SECTOR);
      if (toMemory) {
        this.store.read(this.lba * SECTOR, chunk, 0, chunk.length);
        if (!drive.dmaWrite(chunk)) return this.dmaFailed(drive);
      } else {
        if (!drive.dmaRead(chunk)) return this.dmaFailed(drive);
        this.store.write(this.lba * SECTOR, chunk, 0, chunk.length);
      }
      this.lba += n;
      this.remaining -= n;
    }
    this.op = Op.None;
    drive.setLba(this.lba - 1, this.ext);
    drive.dmaDone(true);
  }

  private dmaFailed(drive: IdeDrive): void {
    this.op = Op.None;
    drive.setLba(this.lba, this.ext);
    drive.dmaDone(false, ATA_ABRT);
  }

  private static readonly STATE = new StateLayout<AtaDisk>("ata-disk", 1, {
    logicalHeads: range(1, 16),
    logicalSectors: u8(),
    multipleCount: range(0, MAX_MULTIPLE),
    transferMode: u8(),
    writeCache: bool(),
    standby: bool(),
    op: range(0, 4),
    lba: f64({ min: 0 }),
    remaining: range(0, 0x10000),
    blockSectors: range(1, MAX_MULTIPLE),
    ext: bool(),
    overlay: record(
      { length: f64({ min: 0 }), chunks: typedUpTo(Uint32Array, 2 ** 32), data: typedUpTo(Uint8Array, 2 ** 32) },
      { get: (d: AtaDisk) => d.store.saveOverlay() as unknown as StateValue, set: (d: AtaDisk, v: SavedOverlay) => d.store.loadOverlay(v) },
    ),
  });

  saveState(): SavedState {
    return AtaDisk.STATE.save(this);
  }

  checkState(state: SavedState): SavedState["fields"] {
    const f = AtaDisk.STATE.check(state);
    const o = `ata-disk (${this.label})`;
    if (!Number.isInteger(f.lba) || (f.lba as number) + (f.remaining as number) > this.sectors) throw new StateError(`${o}: transfer runs past the end of the disk`);
    const overlay = this.store.overlayProblem(f.overlay as unknown as SavedOverlay);
    if (overlay) throw new StateError(`${o}: ${overlay}`);
    return f;
  }

  loadState(state: SavedState): void {
    AtaDisk.STATE.apply(this, this.checkState(state));
  }
}
