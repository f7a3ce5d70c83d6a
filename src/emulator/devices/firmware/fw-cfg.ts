// QEMU's firmware configuration interface (fw_cfg), the way SeaBIOS's QEMU build reads its platform
// description: selector at 0x510 (16-bit), data at 0x511 (byte stream), and the DMA interface at
// 0x514 (big-endian 64-bit address of a control block; writing the low half at 0x518 starts it).
// Items are fixed at build time from the machine config; nothing the guest does can grow them.

import type { Device, DeviceContext } from "../../device.ts";
import { StateLayout, type SavedState, range, u16, u32 } from "../../state.ts";
import type { AcpiBlobs } from "./acpi-tables.ts";

const SELECTOR_PORT = 0x510;
const DATA_PORT = 0x511;
const DMA_PORT_HIGH = 0x514;
const DMA_PORT_LOW = 0x518;
const DMA_SIGNATURE = "QEMU CFG";

export const FW_CFG = {
  SIGNATURE: 0x00,
  ID: 0x01,
  UUID: 0x02,
  RAM_SIZE: 0x03,
  NOGRAPHIC: 0x04,
  NB_CPUS: 0x05,
  NUMA: 0x0d,
  BOOT_MENU: 0x0e,
  MAX_CPUS: 0x0f,
  FILE_DIR: 0x19,
  FILE_FIRST: 0x20,
  /** Arch-local (x86): IRQ0 reaches I/O APIC pin 2 (SeaBIOS's MP table follows it). */
  IRQ0_OVERRIDE: 0x8002,
} as const;

/** Selector bit 14 marks a write access; bit 15 (arch-local items) is part of the key. */
const WRITE_CHANNEL = 0x4000;
const ID_TRADITIONAL = 1;
const ID_DMA = 2;

const DMA_ERROR = 0x01;
const DMA_READ = 0x02;
const DMA_SKIP = 0x04;
const DMA_SELECT = 0x08;
const DMA_WRITE = 0x10;
/** Longest single DMA transfer we accept (our largest item is far smaller). */
const DMA_MAX_LENGTH = 16 << 20;

/** Zones of the table loader's ALLOCATE command. */
const ZONE_HIGH = 1;
const ZONE_FSEG = 2;

export interface FwCfgOptions {
  ramBytes: number;
  cpus?: number;
  /** Boot device paths in priority order (SeaBIOS "bootorder" file), e.g. "/isa/fdc@03f0/floppy@0". */
  bootOrder?: string[];
  /** Seconds SeaBIOS waits before rebooting after a failed boot; -1 = never reboot. */
  bootFailWaitMs?: number;
  acpi?: AcpiBlobs | null;
}

export class FwCfg implements Device {
  readonly name = "fw-cfg";
  private readonly items = new Map<number, Uint8Array>();
  private readonly files: { name: string; select: number; data: Uint8Array }[] = [];
  private selector = 0;
  private offset = 0;
  private dmaHigh = 0;

  constructor(private readonly ctx: DeviceContext, options: FwCfgOptions) {
    const cpus = options.cpus ?? 1;
    this.items.set(FW_CFG.SIGNATURE, ascii("QEMU"));
    this.items.set(FW_CFG.ID, le(ID_TRADITIONAL | ID_DMA, 4));
    this.items.set(FW_CFG.UUID, new Uint8Array(16)); // no -uuid: all zero, as QEMU
    this.items.set(FW_CFG.RAM_SIZE, le(options.ramBytes, 8));
    this.items.set(FW_CFG.NOGRAPHIC, le(0, 2));
    this.items.set(FW_CFG.NB_CPUS, le(cpus, 2));
    this.items.set(FW_CFG.MAX_CPUS, le(cpus, 2));
    this.items.set(FW_CFG.NUMA, le(0, 8));
    this.items.set(FW_CFG.BOOT_MENU, le(0, 2));
    this.items.set(FW_CFG.IRQ0_OVERRIDE, le(1, 4));

    this.addFile("etc/e820", e820Entry(0, options.ramBytes, 1));
    this.addFile("etc/show-boot-menu", le(0, 2));
    this.addFile("etc/boot-fail-wait", le(options.bootFailWaitMs ?? -1, 4));
    if (options.bootOrder && options.bootOrder.length) this.addFile("bootorder", ascii(options.bootOrder.join("\n") + "\n\0"));
    if (options.acpi) {
      this.addFile("etc/acpi/rsdp", options.acpi.rsdp);
      this.addFile("etc/acpi/tables", options.acpi.tables);
      this.addFile("etc/table-loader", tableLoader(options.acpi));
    }
    this.items.set(FW_CFG.FILE_DIR, this.fileDirectory());

    ctx.io.register(SELECTOR_PORT, 2, {
      out16: (p, v) => p === SELECTOR_PORT && this.select(v),
      out8: (p, v) => (p === SELECTOR_PORT ? this.select(v) : undefined),
      in8: (p) => (p === DATA_PORT ? this.readByte() : 0),
      in16: (p) => (p === DATA_PORT ? this.readByte() : 0),
    }, this.name);
    ctx.io.register(DMA_PORT_HIGH, 8, {
      in8: (p) => DMA_SIGNATURE.charCodeAt(p - DMA_PORT_HIGH),
      out32: (p, v) => this.writeDmaAddress(p, v),
    }, this.name);
  }

  private addFile(name: string, data: Uint8Array): void {
    if (name.length > 55) throw new Error(`fw_cfg: file name "${name}" is longer than 55 characters`);
    const select = FW_CFG.FILE_FIRST + this.files.length;
    this.files.push({ name, select, data });
    this.items.set(select, data);
  }

  private fileDirectory(): Uint8Array {
    const dir = new Uint8Array(4 + 64 * this.files.length);
    const view = new DataView(dir.buffer);
    view.setUint32(0, this.files.length); // big-endian
    this.files.forEach((f, i) => {
      const at = 4 + 64 * i;
      view.setUint32(at, f.data.length);
      view.setUint16(at + 4, f.select);
      for (let c = 0; c < f.name.length; c++) dir[at + 8 + c] = f.name.charCodeAt(c);
    });
    return dir;
  }

  /** Contents of an item, by name (files) or number; for tests and the debugger. */
  item(key: string | number): Uint8Array | undefined {
    if (typeof key === "number") return this.items.get(key);
    return this.files.find((f) => f.name === key)?.data;
  }

  private select(v: number): void {
    this.selector = v & 0xffff;
    this.offset = 0;
  }

  private readByte(): number {
    const item = this.items.get(this.selector & ~WRITE_CHANNEL);
    if (!item || this.offset >= item.length) return 0;
    return item[this.offset++];
  }

  private writeDmaAddress(port: number, value: number): void {
    // The guest writes big-endian; the bus hands us the little-endian interpretation.
    const v = bswap32(value);
    if (port === DMA_PORT_HIGH) {
      this.dmaHigh = v;
      return;
    }
    if (port !== DMA_PORT_LOW) return;
    const high = this.dmaHigh;
    this.dmaHigh = 0;
    if (high !== 0) return; // control blocks above 4 GiB do not exist on this machine
    this.runDma(v);
  }

  private runDma(addr: number): void {
    const mem = this.ctx.memory;
    const control = bswap32(mem.read32(addr)) >>> 0;
    const length = bswap32(mem.read32(addr + 4)) >>> 0;
    const targetHigh = bswap32(mem.read32(addr + 8)) >>> 0;
    const target = bswap32(mem.read32(addr + 12)) >>> 0;
    let error = false;
    if (control & DMA_SELECT) this.select(control >>> 16);
    const item = this.items.get(this.selector & ~WRITE_CHANNEL);
    if (control & DMA_WRITE) {
      error = true; // no writable items
    } else if (control & (DMA_READ | DMA_SKIP)) {
      if (length > DMA_MAX_LENGTH || targetHigh !== 0 || target + length > 0x100000000) {
        error = true;
      } else {
        const available = item ? Math.max(0, Math.min(length, item.length - this.offset)) : 0;
        if (control & DMA_READ && available > 0) mem.writeBytes(target, item!.subarray(this.offset, this.offset + available));
        this.offset += available;
        if (control & DMA_READ && available < length) {
          // Past the end of the item: zeros, as QEMU does.
          mem.writeBytes(target + available, new Uint8Array(length - available));
        }
      }
    }
    mem.write32(addr, bswap32(error ? DMA_ERROR : 0));
  }

  reset(): void {
    this.selector = 0;
    this.offset = 0;
    this.dmaHigh = 0;
  }

  private static readonly STATE = new StateLayout<FwCfg>("fw-cfg", 1, {
    selector: u16(),
    offset: range(0, 0xffffffff),
    dmaHigh: u32(),
  });

  saveState(): SavedState {
    return FwCfg.STATE.save(this);
  }

  checkState(state: SavedState): void {
    FwCfg.STATE.check(state);
  }

  loadState(state: SavedState): void {
    FwCfg.STATE.load(this, state);
  }
}

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff)) | 0;
}

function ascii(s: string): Uint8Array {
  const a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i) & 0xff;
  return a;
}

/** Little-endian integer of `bytes` bytes (values up to 2^53; negative numbers two's complement). */
function le(value: number, bytes: number): Uint8Array {
  const a = new Uint8Array(bytes);
  let v = BigInt.asUintN(bytes * 8, BigInt(value));
  for (let i = 0; i < bytes; i++) {
    a[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return a;
}

function e820Entry(base: number, length: number, type: number): Uint8Array {
  const e = new Uint8Array(20);
  e.set(le(base, 8), 0);
  e.set(le(length, 8), 8);
  e.set(le(type, 4), 16);
  return e;
}

/** SeaBIOS/QEMU BIOS linker-loader script: allocate both blobs, patch pointers, fix checksums. */
function tableLoader(acpi: AcpiBlobs): Uint8Array {
  const fileName = (f: "rsdp" | "tables") => (f === "rsdp" ? "etc/acpi/rsdp" : "etc/acpi/tables");
  const commands: Uint8Array[] = [];
  const command = (type: number, fill: (c: Uint8Array, v: DataView) => void) => {
    const c = new Uint8Array(128);
    const v = new DataView(c.buffer);
    v.setUint32(0, type, true);
    fill(c, v);
    commands.push(c);
  };
  const name = (c: Uint8Array, at: number, s: string) => c.set(ascii(s), at);
  command(1, (c, v) => {
    name(c, 4, "etc/acpi/rsdp");
    v.setUint32(60, 16, true);
    c[64] = ZONE_FSEG;
  });
  command(1, (c, v) => {
    name(c, 4, "etc/acpi/tables");
    v.setUint32(60, 64, true);
    c[64] = ZONE_HIGH;
  });
  for (const p of acpi.pointers) {
    command(2, (c, v) => {
      name(c, 4, fileName(p.file));
      name(c, 60, "etc/acpi/tables");
      v.setUint32(116, p.offset, true);
      c[120] = p.size;
    });
  }
  for (const s of acpi.checksums) {
    command(3, (c, v) => {
      name(c, 4, fileName(s.file));
      v.setUint32(60, s.offset, true);
      v.setUint32(64, s.start, true);
      v.setUint32(68, s.length, true);
    });
  }
  const out = new Uint8Array(128 * commands.length);
  commands.forEach((c, i) => out.set(c, 128 * i));
  return out;
}
