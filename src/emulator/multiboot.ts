// Multiboot v1 loader (direct boot without firmware): find the header in the first 8 KiB, load the
// ELF32 PT_LOAD segments or the a.out-kludge range, build the multiboot info structure (memory
// sizes, memory map, command line, boot device, loader name) and enter with EAX = 0x2BADB002,
// EBX = info in flat 32-bit protected mode.

import { BootImageError, type E820Entry } from "./linux-boot.ts";
import type { PhysicalMemory } from "./memory.ts";
import { utf8Bytes } from "./host.ts";

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const SEARCH_BYTES = 8192;
const FLAG_PAGE_ALIGN = 1 << 0;
const FLAG_MEMORY_INFO = 1 << 1;
const FLAG_VIDEO_MODE = 1 << 2;
const FLAG_AOUT_KLUDGE = 1 << 16;
/** Required-feature bits we can honour (bits 0-15 are "must understand"). */
const SUPPORTED_REQUIRED = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO | FLAG_VIDEO_MODE;

/** The info structure, its memory map, command line and loader name go on the first page boundary
 *  above the kernel's highest segment (where QEMU's loader puts them), so they never overlap it. */
const INFO_ALIGN = 4096;

const u32 = (a: Uint8Array, o: number) => (a[o] | (a[o + 1] << 8) | (a[o + 2] << 16) | (a[o + 3] << 24)) >>> 0;
const u16 = (a: Uint8Array, o: number) => a[o] | (a[o + 1] << 8);
function put32(a: Uint8Array, o: number, v: number): void {
  a[o] = v;
  a[o + 1] = v >>> 8;
  a[o + 2] = v >>> 16;
  a[o + 3] = v >>> 24;
}

export interface MultibootHeader {
  offset: number;
  flags: number;
}

/** Finds a valid Multiboot v1 header, or null. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | null {
  const end = Math.min(image.length, SEARCH_BYTES) - 12;
  for (let off = 0; off <= end; off += 4) {
    if (u32(image, off) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = u32(image, off + 4);
    if (((MULTIBOOT_HEADER_MAGIC + flags + u32(image, off + 8)) >>> 0) === 0) return { offset: off, flags };
  }
  return null;
}

interface Segment {
  fileOffset: number;
  fileSize: number;
  addr: number;
  memSize: number;
}

export interface MultibootEntry {
  entry: number;
  eax: number;
  ebx: number;
  /** [lowest, highest) physical bytes the image occupies. */
  loadedStart: number;
  loadedEnd: number;
}

export interface MultibootLoadOptions {
  kernel: Uint8Array;
  cmdline: string;
  ramBytes: number;
  e820: E820Entry[];
}

export function loadMultiboot(memory: PhysicalMemory, o: MultibootLoadOptions): MultibootEntry {
  const header = findMultibootHeader(o.kernel);
  if (!header) throw new BootImageError("kernel: no Multiboot v1 header (magic 0x1BADB002 with valid checksum) in the first 8 KiB");
  const unsupported = header.flags & 0xffff & ~SUPPORTED_REQUIRED;
  if (unsupported) throw new BootImageError(`kernel: Multiboot header requires features 0x${unsupported.toString(16)} this loader does not provide`);

  let entry: number;
  let segments: Segment[];
  if (header.flags & FLAG_AOUT_KLUDGE) {
    ({ entry, segments } = aoutKludgeSegments(o.kernel, header.offset));
  } else {
    ({ entry, segments } = elfSegments(o.kernel));
  }

  let loadedStart = Infinity;
  let loadedEnd = 0;
  for (const s of segments) {
    const end = s.addr + s.memSize;
    if (end > o.ramBytes || s.addr < 0x1000) {
      throw new BootImageError(`kernel: segment 0x${s.addr.toString(16)}-0x${end.toString(16)} is outside RAM (0x1000-0x${o.ramBytes.toString(16)})`);
    }
    if (s.addr < 0x100000 && end > LOW_RESERVED_START) {
      throw new BootImageError(`kernel: segment 0x${s.addr.toString(16)}-0x${end.toString(16)} overlaps the reserved area below 1 MiB`);
    }
    loadedStart = Math.min(loadedStart, s.addr);
    loadedEnd = Math.max(loadedEnd, end);
  }
  for (const s of segments) {
    memory.writeBytes(s.addr, o.kernel.subarray(s.fileOffset, s.fileOffset + s.fileSize));
    if (s.memSize > s.fileSize) memory.writeBytes(s.addr + s.fileSize, new Uint8Array(s.memSize - s.fileSize));
  }

  // Info structure: 88 bytes, then the memory map, the command line and the loader name.
  const mmapOff = 128;
  const mmapLength = o.e820.length * 24;
  const cmdline = utf8Bytes(o.cmdline);
  const cmdOff = mmapOff + mmapLength;
  const name = utf8Bytes("Hypertab");
  const nameOff = cmdOff + cmdline.length + 1;
  const area = new Uint8Array(nameOff + name.length + 1);
  let infoAddr = Math.ceil(loadedEnd / INFO_ALIGN) * INFO_ALIGN;
  // A kernel ending just below the reserved area: the info goes to 1 MiB instead.
  if (infoAddr < 0x100000 && infoAddr + area.length > LOW_RESERVED_START) infoAddr = 0x100000;
  if (infoAddr + area.length > o.ramBytes) {
    throw new BootImageError(`kernel: no room for the ${area.length}-byte Multiboot info above the kernel (ends 0x${loadedEnd.toString(16)}, RAM ends 0x${o.ramBytes.toString(16)})`);
  }
  const lowerKiB = 640 - 1; // up to the EBDA line
  const upperKiB = Math.floor((o.ramBytes - 0x100000) / 1024);
  put32(area, 0, (1 << 0) | (1 << 1) | (1 << 2) | (1 << 6) | (1 << 9));
  put32(area, 4, lowerKiB);
  put32(area, 8, upperKiB);
  put32(area, 12, 0x80ffffff); // boot_device: first hard disk, whole drive
  put32(area, 16, infoAddr + cmdOff);
  put32(area, 44, mmapLength);
  put32(area, 48, infoAddr + mmapOff);
  put32(area, 64, infoAddr + nameOff);
  o.e820.forEach((e, i) => {
    const at = mmapOff + 24 * i;
    put32(area, at, 20); // size of the entry without this field
    put32(area, at + 4, e.base);
    put32(area, at + 8, Math.floor(e.base / 2 ** 32));
    put32(area, at + 12, e.length);
    put32(area, at + 16, Math.floor(e.length / 2 ** 32));
    put32(area, at + 20, e.type);
  });
  area.set(cmdline, cmdOff);
  area.set(name, nameOff);
  memory.writeBytes(infoAddr, area);

  return { entry, eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: infoAddr, loadedStart, loadedEnd };
}

const LOW_RESERVED_START = 0x9fc00;

function aoutKludgeSegments(image: Uint8Array, hdr: number): { entry: number; segments: Segment[] } {
  if (hdr + 32 > image.length) throw new BootImageError("kernel: Multiboot header is truncated (a.out kludge fields missing)");
  const headerAddr = u32(image, hdr + 12);
  const loadAddr = u32(image, hdr + 16);
  const loadEndAddr = u32(image, hdr + 20);
  const bssEndAddr = u32(image, hdr + 24);
  const entry = u32(image, hdr + 28);
  if (loadAddr > headerAddr) throw new BootImageError(`kernel: Multiboot load_addr 0x${loadAddr.toString(16)} is above header_addr 0x${headerAddr.toString(16)}`);
  const fileOffset = hdr - (headerAddr - loadAddr);
  if (fileOffset < 0) throw new BootImageError("kernel: Multiboot header_addr/load_addr place the image before the start of the file");
  const fileSize = loadEndAddr === 0 ? image.length - fileOffset : loadEndAddr - loadAddr;
  if (loadEndAddr !== 0 && loadEndAddr < loadAddr) throw new BootImageError("kernel: Multiboot load_end_addr is below load_addr");
  if (fileOffset + fileSize > image.length) throw new BootImageError(`kernel: Multiboot load range needs ${fileOffset + fileSize} bytes, the file has ${image.length}`);
  const memEnd = bssEndAddr === 0 ? loadAddr + fileSize : bssEndAddr;
  if (memEnd < loadAddr + fileSize) throw new BootImageError("kernel: Multiboot bss_end_addr is below the end of the loaded image");
  return { entry, segments: [{ fileOffset, fileSize, addr: loadAddr, memSize: memEnd - loadAddr }] };
}

function elfSegments(image: Uint8Array): { entry: number; segments: Segment[] } {
  if (image.length < 52 || u32(image, 0) !== 0x464c457f) throw new BootImageError("kernel: Multiboot image is neither ELF nor uses the a.out kludge (bit 16)");
  if (image[4] !== 1 || image[5] !== 1) throw new BootImageError("kernel: only little-endian ELF32 Multiboot kernels are supported");
  if (u16(image, 18) !== 3) throw new BootImageError(`kernel: ELF machine ${u16(image, 18)} is not i386`);
  const entry = u32(image, 24);
  const phoff = u32(image, 28);
  const phentsize = u16(image, 42);
  const phnum = u16(image, 44);
  if (phentsize < 32 || phnum === 0 || phnum > 64 || phoff + phnum * phentsize > image.length) {
    throw new BootImageError(`kernel: ELF program header table (offset ${phoff}, ${phnum} x ${phentsize}) is invalid`);
  }
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (u32(image, ph) !== 1) continue; // PT_LOAD only
    const fileOffset = u32(image, ph + 4);
    const addr = u32(image, ph + 12); // p_paddr
    const fileSize = u32(image, ph + 16);
    const memSize = u32(image, ph + 20);
    if (fileOffset + fileSize > image.length) throw new BootImageError(`kernel: ELF segment ${i} extends past the end of the file`);
    if (memSize < fileSize) throw new BootImageError(`kernel: ELF segment ${i} has p_memsz < p_filesz`);
    if (memSize > 0) segments.push({ fileOffset, fileSize, addr, memSize });
  }
  if (segments.length === 0) throw new BootImageError("kernel: ELF has no loadable segments");
  return { entry, segments };
}
