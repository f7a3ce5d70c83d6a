// Linux boot protocol 2.x, 32-bit entry, without firmware: validate the bzImage setup header, put the
// protected-mode kernel at 1 MiB, build boot_params (the "zero page") with the E820 map, command
// line, initrd and an 80x25 VGA text screen_info, and say where to enter (code32_start, ESI =
// boot_params). See the kernel's Documentation/x86/boot.rst for the field layout.

import type { PhysicalMemory } from "./memory.ts";
import { utf8Bytes } from "./host.ts";

export interface E820Entry {
  base: number;
  length: number;
  /** 1 = usable RAM, 2 = reserved, 3 = ACPI reclaimable. */
  type: number;
}

export class BootImageError extends Error {
  override name = "BootImageError";
}

/** Addresses used by the direct boot paths (all below the 0x9FC00 EBDA line). */
export const BOOT_PARAMS_ADDR = 0x10000;
export const CMDLINE_ADDR = 0x20000;
export const KERNEL_LOAD_ADDR = 0x100000;
/** Low memory ends here; 0x9FC00-0xFFFFF is reserved (EBDA, VGA window, ROM area with the ACPI RSDP). */
export const LOW_RAM_END = 0x9fc00;

const SETUP_HEADER = 0x1f1;
const HDRS_MAGIC = 0x53726448; // "HdrS"
const LOADED_HIGH = 0x01;
const CAN_USE_HEAP = 0x80;

export interface BzImageInfo {
  version: number;
  setupSects: number;
  /** Offset of the protected-mode kernel in the file. */
  kernelOffset: number;
  kernelSize: number;
  code32Start: number;
  initrdAddrMax: number;
  cmdlineSize: number;
  initSize: number;
  loadFlags: number;
  /** Setup header bytes to copy into boot_params at 0x1F1. */
  headerEnd: number;
}

const u16 = (a: Uint8Array, o: number) => a[o] | (a[o + 1] << 8);
const u32 = (a: Uint8Array, o: number) => (a[o] | (a[o + 1] << 8) | (a[o + 2] << 16) | (a[o + 3] << 24)) >>> 0;
function put16(a: Uint8Array, o: number, v: number): void {
  a[o] = v;
  a[o + 1] = v >>> 8;
}
function put32(a: Uint8Array, o: number, v: number): void {
  put16(a, o, v & 0xffff);
  put16(a, o + 2, v >>> 16);
}

/** True when the image carries a Linux setup header (used to tell bzImage from Multiboot ELF). */
export function isBzImage(image: Uint8Array): boolean {
  return image.length >= 0x250 && u16(image, 0x1fe) === 0xaa55 && u32(image, 0x202) === HDRS_MAGIC;
}

export function parseBzImage(image: Uint8Array): BzImageInfo {
  if (image.length < 0x250) throw new BootImageError(`kernel: ${image.length} bytes is too small for a bzImage`);
  if (u16(image, 0x1fe) !== 0xaa55) throw new BootImageError("kernel: no 0xAA55 boot flag at offset 0x1FE (not a Linux bzImage)");
  if (u32(image, 0x202) !== HDRS_MAGIC) throw new BootImageError("kernel: no \"HdrS\" setup header (boot protocol < 2.0 is not supported)");
  const version = u16(image, 0x206);
  if (version < 0x0204) throw new BootImageError(`kernel: boot protocol ${fmtVersion(version)} is too old (need 2.04 or newer)`);
  const loadFlags = image[0x211];
  if (!(loadFlags & LOADED_HIGH)) throw new BootImageError("kernel: not a bzImage (LOADED_HIGH clear: zImage kernels load at 0x10000)");
  const setupSects = image[SETUP_HEADER] || 4;
  const kernelOffset = (setupSects + 1) * 512;
  if (kernelOffset >= image.length) throw new BootImageError(`kernel: setup_sects ${setupSects} points past the end of the ${image.length}-byte image`);
  const headerEnd = Math.min(0x202 + image[0x201], 0x290);
  return {
    version,
    setupSects,
    kernelOffset,
    kernelSize: image.length - kernelOffset,
    code32Start: u32(image, 0x214),
    initrdAddrMax: version >= 0x0203 ? u32(image, 0x22c) : 0x37ffffff,
    cmdlineSize: version >= 0x0206 ? u32(image, 0x238) : 255,
    initSize: version >= 0x020a ? u32(image, 0x260) : 0,
    loadFlags,
    headerEnd,
  };
}

function fmtVersion(v: number): string {
  return `${v >>> 8}.${(v & 0xff).toString().padStart(2, "0")}`;
}

/** The memory map both direct boot paths hand to the kernel. */
export function directBootMemoryMap(ramBytes: number): E820Entry[] {
  return [
    { base: 0, length: LOW_RAM_END, type: 1 },
    { base: LOW_RAM_END, length: 0x100000 - LOW_RAM_END, type: 2 },
    { base: 0x100000, length: ramBytes - 0x100000, type: 1 },
  ].filter((e) => e.length > 0);
}

export interface LinuxLoadOptions {
  kernel: Uint8Array;
  initrd?: Uint8Array;
  cmdline: string;
  ramBytes: number;
  e820: E820Entry[];
  /** Describe an 80x25 colour VGA text screen in screen_info (only when a VGA card is present). */
  vgaText: boolean;
  /** Physical address of the ACPI RSDP, for kernels with boot protocol 2.14+ (older ones scan). */
  acpiRsdpAddr?: number;
}

export interface LinuxEntry {
  entry: number;
  esi: number;
  info: BzImageInfo;
  initrdAddr: number;
}

export function loadLinux(memory: PhysicalMemory, o: LinuxLoadOptions): LinuxEntry {
  const info = parseBzImage(o.kernel);
  const cmdlineBytes = utf8Bytes(o.cmdline);
  const maxCmdline = Math.min(info.cmdlineSize, 0xffff);
  if (cmdlineBytes.length > maxCmdline) throw new BootImageError(`cmdline: ${cmdlineBytes.length} bytes, the kernel accepts at most ${maxCmdline}`);
  if (o.e820.length > 128) throw new BootImageError(`e820: ${o.e820.length} entries, boot_params holds 128`);

  const kernelEnd = KERNEL_LOAD_ADDR + Math.max(info.kernelSize, info.initSize);
  if (kernelEnd > o.ramBytes) {
    throw new BootImageError(`memory: the kernel needs ${Math.ceil(kernelEnd / 1048576)} MiB of RAM to decompress, machine has ${o.ramBytes / 1048576} MiB`);
  }

  let initrdAddr = 0;
  if (o.initrd && o.initrd.length > 0) {
    const top = Math.min(o.ramBytes, info.initrdAddrMax + 1);
    initrdAddr = Math.floor((top - o.initrd.length) / 4096) * 4096;
    if (initrdAddr < kernelEnd) {
      throw new BootImageError(`initrd: ${o.initrd.length} bytes do not fit between the kernel (ends 0x${kernelEnd.toString(16)}) and 0x${top.toString(16)}; give the machine more RAM`);
    }
    memory.writeBytes(initrdAddr, o.initrd);
  }

  memory.writeBytes(KERNEL_LOAD_ADDR, o.kernel.subarray(info.kernelOffset));
  const cmd = new Uint8Array(cmdlineBytes.length + 1);
  cmd.set(cmdlineBytes);
  memory.writeBytes(CMDLINE_ADDR, cmd);

  const bp = new Uint8Array(4096);
  bp.set(o.kernel.subarray(SETUP_HEADER, info.headerEnd), SETUP_HEADER);
  if (o.vgaText) {
    bp[0x00] = 0; // orig_x
    bp[0x01] = 0; // orig_y
    bp[0x06] = 3; // orig_video_mode: 80x25 colour text
    bp[0x07] = 80; // orig_video_cols
    put16(bp, 0x0a, 0x0003); // orig_video_ega_bx: colour, 256 KiB
    bp[0x0e] = 25; // orig_video_lines
    bp[0x0f] = 1; // orig_video_isVGA
    put16(bp, 0x10, 16); // orig_video_points (font height)
  }
  put16(bp, 0x02, Math.min(0xffff, (o.ramBytes - 0x100000) >>> 10)); // ext_mem_k
  put32(bp, 0x1e0, (o.ramBytes - 0x100000) >>> 10); // alt_mem_k
  bp[0x210] = 0xff; // type_of_loader: undefined loader
  bp[0x211] = (info.loadFlags | CAN_USE_HEAP) & ~0x20; // keep LOADED_HIGH, let it print (clear QUIET)
  put16(bp, 0x224, 0xde00); // heap_end_ptr (unused by the 32-bit entry, set as boot.rst suggests)
  put32(bp, 0x228, CMDLINE_ADDR);
  put32(bp, 0x218, initrdAddr);
  put32(bp, 0x21c, o.initrd?.length ?? 0);
  if (info.version >= 0x020e && o.acpiRsdpAddr !== undefined) {
    put32(bp, 0x070, o.acpiRsdpAddr);
    put32(bp, 0x074, 0);
  }
  bp[0x1e8] = o.e820.length;
  o.e820.forEach((e, i) => {
    const at = 0x2d0 + 20 * i;
    put32(bp, at, e.base);
    put32(bp, at + 4, Math.floor(e.base / 2 ** 32));
    put32(bp, at + 8, e.length);
    put32(bp, at + 12, Math.floor(e.length / 2 ** 32));
    put32(bp, at + 16, e.type);
  });
  memory.writeBytes(BOOT_PARAMS_ADDR, bp);

  const entry = info.code32Start || KERNEL_LOAD_ADDR;
  return { entry, esi: BOOT_PARAMS_ADDR, info, initrdAddr };
}
