// Tells a Linux bzImage from a Multiboot v1 kernel (ELF or a.out kludge) by their headers.

export type KernelFormat = "bzimage" | "multiboot";

const MULTIBOOT_MAGIC = 0x1badb002;
const MULTIBOOT_SEARCH_BYTES = 8192;

/** Offset of a valid Multiboot v1 header (magic + flags + checksum = 0 mod 2^32), or -1. */
export function findMultibootHeader(image: Uint8Array): number {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const limit = Math.min(image.length, MULTIBOOT_SEARCH_BYTES) - 12;
  for (let off = 0; off <= limit; off += 4) {
    if (view.getUint32(off, true) !== MULTIBOOT_MAGIC) continue;
    const flags = view.getUint32(off + 4, true);
    const checksum = view.getUint32(off + 8, true);
    if (((MULTIBOOT_MAGIC + flags + checksum) >>> 0) === 0) return off;
  }
  return -1;
}

export function isBzImage(image: Uint8Array): boolean {
  // Linux boot protocol: "HdrS" at 0x202, boot sector signature 55 AA at 0x1FE.
  return (
    image.length > 0x206 &&
    image[0x1fe] === 0x55 &&
    image[0x1ff] === 0xaa &&
    image[0x202] === 0x48 && // H
    image[0x203] === 0x64 && // d
    image[0x204] === 0x72 && // r
    image[0x205] === 0x53 // S
  );
}

export function detectKernelFormat(image: Uint8Array, name = "kernel"): KernelFormat {
  if (isBzImage(image)) return "bzimage";
  if (findMultibootHeader(image) >= 0) return "multiboot";
  const elf = image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
  throw new Error(
    elf
      ? `${name} is an ELF file without a Multiboot v1 header in its first 8 KiB`
      : `${name} is neither a Linux bzImage (no "HdrS" at 0x202) nor a Multiboot v1 kernel`,
  );
}
