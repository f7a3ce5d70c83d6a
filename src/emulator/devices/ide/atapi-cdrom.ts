// An ATAPI CD-ROM drive (MMC command set over the ATA PACKET protocol, PIO with the byte-count
// limit, or bus-master DMA): TEST UNIT READY, REQUEST SENSE, INQUIRY, READ CAPACITY, READ(10/12),
// MODE SENSE(6/10), READ TOC (formats 0 and 1), GET CONFIGURATION, GET EVENT STATUS NOTIFICATION,
// START STOP UNIT, PREVENT/ALLOW MEDIUM REMOVAL, READ DISC INFORMATION, SEEK, SET CD SPEED. Media
// changes raise a unit attention and a media event; the medium is a single data track of 2048-byte
// blocks.

import { type SavedState, type Stateful, StateLayout, StateError, bool, choice, f64, range, typed, u16 } from "../../state.ts";
import { ATA_ABRT, ATA_DRDY, ATA_DSC } from "./ata-disk.ts";
import { sealIdentify } from "./ata-disk.ts";
import type { IdeCommandSet, IdeDrive } from "./ide-controller.ts";

const BLOCK = 2048;
const PACKET_BYTES = 12;
/** Largest PIO chunk (the byte count limit is 16-bit; keep it even). */
const MAX_CHUNK = 0xfffe;
/** DMA staging step. */
const DMA_STEP = 32 * BLOCK;

// Sense keys
const NOT_READY = 0x02;
const ILLEGAL_REQUEST = 0x05;
const UNIT_ATTENTION = 0x06;
// Additional sense codes
const ASC_INVALID_OPCODE = 0x20;
const ASC_LBA_OUT_OF_RANGE = 0x21;
const ASC_INVALID_FIELD = 0x24;
const ASC_MEDIUM_CHANGED = 0x28;
const ASC_NO_MEDIUM = 0x3a;
const ASC_REMOVAL_PREVENTED = 0x53;

// Interrupt reason (sector count register) values
const IR_COD = 0x01;
const IR_IO = 0x02;

export interface AtapiCdromOptions {
  image: Uint8Array | null;
  model?: string;
  serial?: string;
  label?: string;
}

function validateCdImage(image: Uint8Array, label: string): void {
  if (!(image instanceof Uint8Array) || image.length === 0 || image.length % BLOCK !== 0) {
    throw new RangeError(`${label}: CD image must be a non-empty multiple of 2048 bytes, got ${image?.length} bytes`);
  }
}

const enum Source {
  None = 0,
  Response = 1,
  Media = 2,
}

export class AtapiCdrom implements IdeCommandSet, Stateful {
  readonly isAtapi = true;
  private readonly label: string;
  private readonly model: string;
  private readonly serial: string;
  private media: Uint8Array | null;
  /** Called when the guest ejects the disc (START STOP UNIT with LoEj). */
  onEject: (() => void) | null = null;

  private senseKey = 0;
  private asc = 0;
  private ascq = 0;
  private unitAttention = false;
  private locked = false;
  /** Pending media event: 0 none, 2 new media, 3 media removal. */
  private mediaEvent = 0;
  // Packet / transfer state
  private receivingPacket = false;
  private useDma = false;
  private byteLimit = 0;
  private source = Source.None;
  private readonly response = new Uint8Array(256);
  private offset = 0; // byte offset into the response or the media
  private remaining = 0; // bytes still to send
  private chunk = 0; // bytes in the PIO chunk being read by the host

  constructor(options: AtapiCdromOptions) {
    this.label = options.label ?? "atapi cdrom";
    if (options.image) validateCdImage(options.image, this.label);
    this.media = options.image;
    this.model = options.model ?? "Hypertab ATAPI CD-ROM";
    this.serial = options.serial ?? "HTCD0001";
  }

  reset(): void {
    this.receivingPacket = false;
    this.source = Source.None;
    this.remaining = 0;
    this.chunk = 0;
    this.senseKey = this.asc = this.ascq = 0;
    this.locked = false;
  }

  // --- Host media API -------------------------------------------------------------------------

  get hasMedia(): boolean {
    return this.media !== null;
  }

  get blocks(): number {
    return this.media ? this.media.length / BLOCK : 0;
  }

  insertMedia(image: Uint8Array): void {
    validateCdImage(image, this.label);
    this.media = image;
    this.unitAttention = true;
    this.mediaEvent = 2;
  }

  /** Host-side eject; refused (false) while the guest has locked the tray. */
  ejectMedia(force = false): boolean {
    if (this.locked && !force) return false;
    this.media = null;
    this.unitAttention = true;
    this.mediaEvent = 3;
    return true;
  }

  // --- ATA commands ---------------------------------------------------------------------------

  identifyPacket(): Uint16Array {
    const id = new Uint16Array(256);
    id[0] = 0x85c0; // ATAPI, CD-ROM, removable, 50 µs DRQ, 12-byte packets
    const str = (first: number, words: number, text: string) => {
      const s = text.padEnd(words * 2, " ").slice(0, words * 2);
      for (let i = 0; i < words; i++) id[first + i] = (s.charCodeAt(2 * i) << 8) | s.charCodeAt(2 * i + 1);
    };
    str(10, 10, this.serial);
    str(23, 4, "1.0");
    str(27, 20, this.model);
    id[49] = 0x0f00; // IORDY, LBA, DMA
    id[50] = 0x4000;
    id[53] = 0x0006;
    id[63] = 0x0007;
    id[64] = 0x0003;
    id[65] = 120;
    id[66] = 120;
    id[67] = 120;
    id[68] = 120;
    id[71] = 30;
    id[72] = 30;
    id[80] = 0x007e;
    id[82] = 0x4210; // NOP, DEVICE RESET, PACKET
    id[83] = 0x4000;
    id[84] = 0x4000;
    id[85] = 0x4210;
    id[87] = 0x4000;
    id[88] = 0x003f;
    id[93] = 0x4000 | 0x2000;
    sealIdentify(id);
    return id;
  }

  command(drive: IdeDrive, command: number): void {
    switch (command) {
      case 0xa0:
        if (drive.feature & 0x02) return drive.fail(ATA_ABRT); // overlapped commands unsupported
        this.useDma = (drive.feature & 0x01) !== 0;
        this.byteLimit = (drive.lbaHigh << 8) | drive.lbaMid;
        this.receivingPacket = true;
        drive.count = IR_COD;
        drive.startPioOut(PACKET_BYTES, false);
        return;
      case 0xa1: {
        const id = this.identifyPacket();
        drive.buffer.set(new Uint8Array(id.buffer), 0);
        drive.startPioIn(512, true);
        return;
      }
      case 0xec:
        // ATAPI devices abort IDENTIFY DEVICE and show their signature, which is how hosts find them.
        drive.fail(ATA_ABRT);
        drive.count = 1;
        drive.lbaLow = 1;
        drive.lbaMid = 0x14;
        drive.lbaHigh = 0xeb;
        return;
      case 0x08: // DEVICE RESET
        this.reset();
        drive.setSignature();
        return;
      case 0x90:
        drive.setSignature();
        drive.raiseInterrupt();
        return;
      case 0xef:
        if (drive.feature === 0x03 || drive.feature === 0x02 || drive.feature === 0x82 || drive.feature === 0x66 || drive.feature === 0xcc) return drive.complete();
        return drive.fail(ATA_ABRT);
      case 0xe5:
      case 0x98:
        drive.count = 0xff;
        return drive.complete();
      case 0xe0:
      case 0xe1:
      case 0xe6:
        return drive.complete();
      default:
        return drive.fail(ATA_ABRT);
    }
  }

  pioOutDone(drive: IdeDrive): void {
    if (!this.receivingPacket) return;
    this.receivingPacket = false;
    this.executePacket(drive, drive.buffer.slice(0, PACKET_BYTES));
  }

  pioInDone(drive: IdeDrive): void {
    if (this.source === Source.None) {
      drive.status = ATA_DRDY | ATA_DSC;
      return;
    }
    this.offset += this.chunk;
    this.remaining -= this.chunk;
    this.chunk = 0;
    if (this.remaining > 0) this.sendChunk(drive);
    else this.finish(drive);
  }

  dmaReady(drive: IdeDrive): void {
    if (this.source === Source.None) return;
    while (this.remaining > 0) {
      const n = Math.min(this.remaining, DMA_STEP);
      const part = drive.buffer.subarray(0, n);
      this.stage(part, n);
      if (!drive.dmaWrite(part)) {
        this.source = Source.None;
        drive.count = IR_IO | IR_COD;
        drive.dmaDone(false, (ILLEGAL_REQUEST << 4) | ATA_ABRT);
        return;
      }
      this.offset += n;
      this.remaining -= n;
    }
    this.source = Source.None;
    drive.count = IR_IO | IR_COD;
    drive.dmaDone(true);
  }

  // --- Packet commands ------------------------------------------------------------------------

  private executePacket(drive: IdeDrive, cdb: Uint8Array): void {
    const op = cdb[0];
    const be16 = (i: number) => (cdb[i] << 8) | cdb[i + 1];
    const be32 = (i: number) => ((cdb[i] << 24) | (cdb[i + 1] << 16) | (cdb[i + 2] << 8) | cdb[i + 3]) >>> 0;
    const passesUnitAttention = op === 0x12 || op === 0x03 || op === 0x46 || op === 0x4a;
    if (this.unitAttention && !passesUnitAttention) {
      this.unitAttention = false;
      return this.error(drive, UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
    }
    switch (op) {
      case 0x00: // TEST UNIT READY
        if (!this.media) return this.error(drive, NOT_READY, ASC_NO_MEDIUM, 0);
        return this.finish(drive);
      case 0x03: {
        // REQUEST SENSE
        const r = this.response;
        r.fill(0, 0, 18);
        r[0] = 0x70;
        if (this.unitAttention) {
          this.unitAttention = false;
          this.senseKey = UNIT_ATTENTION;
          this.asc = ASC_MEDIUM_CHANGED;
          this.ascq = 0;
        }
        r[2] = this.senseKey;
        r[7] = 10;
        r[12] = this.asc;
        r[13] = this.ascq;
        this.senseKey = this.asc = this.ascq = 0;
        return this.respond(drive, 18, cdb[4]);
      }
      case 0x12: {
        // INQUIRY
        if (cdb[1] & 0x01) return this.error(drive, ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0); // no VPD pages
        const r = this.response;
        r.fill(0, 0, 36);
        r[0] = 0x05; // CD/DVD device
        r[1] = 0x80; // removable
        r[2] = 0x00;
        r[3] = 0x21; // ATAPI, response format 1
        r[4] = 31;
        ascii(r, 8, 8, "HYPERTAB");
        ascii(r, 16, 16, "CD-ROM");
        ascii(r, 32, 4, "1.0");
        return this.respond(drive, 36, be16(3));
      }
      case 0x1a: // MODE SENSE(6)
      case 0x5a: // MODE SENSE(10)
        return this.modeSense(drive, cdb, op === 0x5a);
      case 0x1b: {
        // START STOP UNIT
        const loej = (cdb[4] & 0x02) !== 0;
        const start = (cdb[4] & 0x01) !== 0;
        if (loej && !start) {
          if (this.locked) return this.error(drive, ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02);
          if (this.media) {
            this.media = null;
            this.mediaEvent = 3;
            this.onEject?.();
          }
        }
        return this.finish(drive);
      }
      case 0x1e: // PREVENT ALLOW MEDIUM REMOVAL
        this.locked = (cdb[4] & 0x01) !== 0;
        return this.finish(drive);
      case 0x25: {
        // READ CAPACITY
        if (!this.media) return this.error(drive, NOT_READY, ASC_NO_MEDIUM, 0);
        const r = this.response;
        putBe32(r, 0, this.blocks - 1);
        putBe32(r, 4, BLOCK);
        return this.respond(drive, 8, 8);
      }
      case 0x28: // READ(10)
        return this.read(drive, be32(2), be16(7));
      case 0xa8: // READ(12)
        return this.read(drive, be32(2), be32(6));
      case 0x2b: // SEEK(10)
        if (!this.media) return this.error(drive, NOT_READY, ASC_NO_MEDIUM, 0);
        if (be32(2) >= this.blocks) return this.error(drive, ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return this.finish(drive);
      case 0x43:
        return this.readToc(drive, cdb);
      case 0x46:
        return this.getConfiguration(drive, cdb);
      case 0x4a:
        return this.getEventStatus(drive, cdb);
      case 0x51: {
        // READ DISC INFORMATION
        if (!this.media) return this.error(drive, NOT_READY, ASC_NO_MEDIUM, 0);
        if (cdb[1] & 0x07) return this.error(drive, ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
        const r = this.response;
        r.fill(0, 0, 34);
        r[1] = 32;
        r[2] = 0x0e; // complete disc, complete last session
        r[3] = 1; // first track
        r[4] = 1; // sessions
        r[5] = 1; // first track in last session
        r[6] = 1; // last track in last session
        r[7] = 0x20; // unrestricted use
        r[8] = 0x00; // CD-DA or CD-ROM
        r.fill(0xff, 16, 24); // no lead-in / lead-out positions for a pressed disc
        return this.respond(drive, 34, be16(7));
      }
      case 0xbb: // SET CD SPEED
        return this.finish(drive);
      default:
        return this.error(drive, ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
    }
  }

  private read(drive: IdeDrive, lba: number, count: number): void {
    if (!this.media) return this.error(drive, NOT_READY, ASC_NO_MEDIUM, 0);
    if (lba + count > this.blocks) return this.error(drive, ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
    if (count === 0) return this.finish(drive);
    this.source = Source.Media;
    this.offset = lba * BLOCK;
    this.remaining = count * BLOCK;
    this.startData(drive);
  }

  private modeSense(drive: IdeDrive, cdb: Uint8Array, ten: boolean): void {
    const page = cdb[2] & 0x3f;
    const pages: number[][] = [];
    const capabilities = () => {
      const p = new Array<number>(20).fill(0);
      p[0] = 0x2a;
      p[1] = 0x12;
      p[4] = 0x71; // audio play, mode 2 form 1 and 2, multi-session
      p[5] = 0x00;
      p[6] = 0x29 | (this.locked ? 0x02 : 0); // tray, eject, lock supported (+ locked)
      p[8] = 0x02; // max speed 706 KB/s (4x)
      p[9] = 0xc2;
      p[10] = 0x01; // 256 volume levels
      p[12] = 0x02; // 512 KB buffer
      p[14] = 0x02;
      p[15] = 0xc2;
      return p;
    };
    const errorRecovery = [0x01, 0x06, 0x00, 0x05, 0, 0, 0, 0];
    const audio = [0x0e, 0x0e, 0x04, 0, 0, 0, 0, 0, 0x01, 0xff, 0x02, 0xff, 0, 0, 0, 0];
    if (page === 0x01 || page === 0x3f) pages.push(errorRecovery);
    if (page === 0x0e || page === 0x3f) pages.push(audio);
    if (page === 0x2a || page === 0x3f) pages.push(capabilities());
    if (pages.length === 0) return this.error(drive, ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
    const body = pages.flat();
    const headerBytes = ten ? 8 : 4;
    const total = headerBytes + body.length;
    const r = this.response;
    r.fill(0, 0, headerBytes);
    const medium = this.media ? 0x01 : 0x70;
    if (ten) {
      r[0] = (total - 2) >> 8;
      r[1] = (total - 2) & 0xff;
      r[2] = medium;
    } else {
      r[0] = total - 1;
      r[1] = medium;
    }
    r.set(body, headerBytes);
    this.respond(drive, total, ten ? (cdb[7] << 8) | cdb[8] : cdb[4]);
  }

  private readToc(drive: IdeDrive, cdb: Uint8Array): void {
    if (!this.media) return this.error(drive, NOT_READY, ASC_NO_MEDIUM, 0);
    const msf = (cdb[1] & 0x02) !== 0;
    let format = cdb[2] & 0x0f;
    if (format === 0) format = cdb[9] >> 6; // SFF-8020 placed the format in the control byte
    const alloc = (cdb[7] << 8) | cdb[8];
    const r = this.response;
    const addr = (at: number, lba: number) => {
      if (msf) {
        const f = lba + 150;
        r[at] = 0;
        r[at + 1] = Math.floor(f / 4500);
        r[at + 2] = Math.floor(f / 75) % 60;
        r[at + 3] = f % 75;
      } else putBe32(r, at, lba);
    };
    if (format === 0) {
      const start = cdb[6];
      if (start > 1 && start !== 0xaa) return this.error(drive, ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
      let n = 4;
      r[2] = 1;
      r[3] = 1;
      if (start <= 1) {
        r.set([0, 0x14, 1, 0], n);
        addr(n + 4, 0);
        n += 8;
      }
      r.set([0, 0x16, 0xaa, 0], n); // lead-out control as QEMU reports it
      addr(n + 4, this.blocks);
      n += 8;
      r[0] = (n - 2) >> 8;
      r[1] = (n - 2) & 0xff;
      return this.respond(drive, n, alloc);
    }
    if (format === 1) {
      r.set([0, 0x0a, 1, 1, 0, 0x14, 1, 0]);
      addr(8, 0);
      return this.respond(drive, 12, alloc);
    }
    this.error(drive, ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
  }

  private getConfiguration(drive: IdeDrive, cdb: Uint8Array): void {
    const rt = cdb[1] & 0x03;
    const startFeature = (cdb[2] << 8) | cdb[3];
    const alloc = (cdb[7] << 8) | cdb[8];
    const current = this.media ? 1 : 0;
    const features: [number, number[]][] = [
      [0x0000, [0x00, 0x08, current, 0]], // profile list: CD-ROM
      [0x0001, [0, 0, 0, 2, 1, 0, 0, 0]], // core: ATAPI, DBE
      [0x0002, [0x02, 0, 0, 0]], // morphing: asynchronous event notification off, OCEvent
      [0x0003, [0x29 | (this.locked ? 0x01 : 0), 0, 0, 0]], // removable medium: tray, eject, lock
      [0x0010, [0, 0, 0x08, 0, 0, 1, 0, 0]], // random readable: 2048-byte blocks, blocking 1
      [0x001e, [0, 0, 0, 0]], // CD read
    ];
    const versionFlags: Record<number, number> = { 0x0000: 0x03, 0x0001: 0x0b, 0x0002: 0x07, 0x0003: 0x03, 0x0010: 0x00, 0x001e: 0x00 };
    const isCurrent = (code: number) => code <= 0x0003 || current === 1;
    const r = this.response;
    let n = 8;
    for (const [code, data] of features) {
      if (rt === 2 ? code !== startFeature : code < startFeature) continue;
      if (rt === 1 && !isCurrent(code)) continue;
      r[n] = code >> 8;
      r[n + 1] = code & 0xff;
      r[n + 2] = versionFlags[code] | (isCurrent(code) ? 0x01 : 0);
      r[n + 3] = data.length;
      r.set(data, n + 4);
      n += 4 + data.length;
    }
    putBe32(r, 0, n - 4);
    r[4] = r[5] = 0;
    r[6] = 0;
    r[7] = current ? 0x08 : 0x00;
    this.respond(drive, n, alloc);
  }

  private getEventStatus(drive: IdeDrive, cdb: Uint8Array): void {
    if ((cdb[1] & 0x01) === 0) return this.error(drive, ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0); // only polled mode
    const alloc = (cdb[7] << 8) | cdb[8];
    const r = this.response;
    if (cdb[4] & 0x10) {
      r.set([0, 6, 0x04, 0x10, this.mediaEvent, this.media ? 0x02 : 0x00, 0, 0]);
      this.mediaEvent = 0;
      return this.respond(drive, 8, alloc);
    }
    r.set([0, 2, 0x80, 0x10]);
    this.respond(drive, 4, alloc);
  }

  // --- Transfer plumbing ----------------------------------------------------------------------

  /** Sends `length` bytes from the response buffer, cut to the allocation length. */
  private respond(drive: IdeDrive, length: number, allocation: number): void {
    const n = Math.min(length, allocation);
    if (n === 0) return this.finish(drive);
    this.source = Source.Response;
    this.offset = 0;
    this.remaining = n;
    this.startData(drive);
  }

  private startData(drive: IdeDrive): void {
    if (this.useDma) {
      drive.count = IR_IO;
      drive.startDma();
      return;
    }
    this.sendChunk(drive);
  }

  private stage(into: Uint8Array, n: number): void {
    if (this.source === Source.Media && this.media) into.set(this.media.subarray(this.offset, this.offset + n));
    else into.set(this.response.subarray(this.offset, this.offset + n));
  }

  private sendChunk(drive: IdeDrive): void {
    let limit = this.byteLimit === 0 ? MAX_CHUNK : Math.min(this.byteLimit, MAX_CHUNK);
    if (limit & 1 && limit < this.remaining) limit--;
    const n = Math.min(this.remaining, limit);
    this.chunk = n;
    this.stage(drive.buffer, n);
    if (n & 1) drive.buffer[n] = 0;
    drive.lbaMid = n & 0xff;
    drive.lbaHigh = n >> 8;
    drive.count = IR_IO;
    drive.startPioIn(n + (n & 1), true);
  }

  private finish(drive: IdeDrive): void {
    this.source = Source.None;
    this.remaining = 0;
    drive.count = IR_IO | IR_COD;
    drive.complete(true);
  }

  private error(drive: IdeDrive, key: number, asc: number, ascq: number): void {
    this.senseKey = key;
    this.asc = asc;
    this.ascq = ascq;
    this.source = Source.None;
    this.remaining = 0;
    drive.count = IR_IO | IR_COD;
    drive.fail(key << 4); // the sense key in the error register (no ABRT, as QEMU)
  }

  // --- State ----------------------------------------------------------------------------------

  private static readonly STATE = new StateLayout<AtapiCdrom>("atapi-cdrom", 1, {
    mediaBytes: f64({ min: 0, get: (d: AtapiCdrom) => (d.media ? d.media.length : 0), set: () => {} }),
    /** Sense key, additional sense code and qualifier. */
    sense: typed(Uint8Array, 3, {
      get: (d: AtapiCdrom) => new Uint8Array([d.senseKey, d.asc, d.ascq]),
      set: (d: AtapiCdrom, v: Uint8Array) => void ([d.senseKey, d.asc, d.ascq] = v),
    }),
    unitAttention: bool(),
    locked: bool(),
    mediaEvent: range(0, 3),
    receivingPacket: bool(),
    useDma: bool(),
    byteLimit: u16(),
    source: choice([0, 1, 2]),
    response: typed(Uint8Array, 256),
    offset: f64({ min: 0 }),
    remaining: f64({ min: 0 }),
    chunk: u16(),
  });

  saveState(): SavedState {
    return AtapiCdrom.STATE.save(this);
  }

  checkState(state: SavedState): SavedState["fields"] {
    const f = AtapiCdrom.STATE.check(state);
    const o = `atapi-cdrom (${this.label})`;
    const bytes = this.media ? this.media.length : 0;
    if (f.mediaBytes !== bytes) throw new StateError(`${o}: the snapshot had ${f.mediaBytes ? `${String(f.mediaBytes)}-byte media` : "no media"}; insert the same disc before restoring`);
    const limit = f.source === Source.Media ? bytes : this.response.length;
    if ((f.offset as number) + (f.remaining as number) > limit) throw new StateError(`${o}: transfer position out of range`);
    return f;
  }

  loadState(state: SavedState): void {
    AtapiCdrom.STATE.apply(this, this.checkState(state));
  }
}

function ascii(into: Uint8Array, at: number, length: number, text: string): void {
  const s = text.padEnd(length, " ");
  for (let i = 0; i < length; i++) into[at + i] = s.charCodeAt(i) & 0x7f;
}

function putBe32(into: Uint8Array, at: number, v: number): void {
  into[at] = v >>> 24;
  into[at + 1] = (v >>> 16) & 0xff;
  into[at + 2] = (v >>> 8) & 0xff;
  into[at + 3] = v & 0xff;
}
