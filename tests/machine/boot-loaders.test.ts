import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BOOT_PARAMS_ADDR, CMDLINE_ADDR, directBootMemoryMap, loadLinux, parseBzImage } from "../../src/emulator/linux-boot.ts";
import { PhysicalMemory } from "../../src/emulator/memory.ts";
import { findMultibootHeader, loadMultiboot, MULTIBOOT_BOOTLOADER_MAGIC } from "../../src/emulator/multiboot.ts";

// From the guest pipeline (`npm run guests`, part of the README test command).
const KERNEL = new URL("../../public/guests/linux/vmlinuz", import.meta.url).pathname;
const u16 = (a: Uint8Array, o: number) => a[o] | (a[o + 1] << 8);
const u32 = (a: Uint8Array, o: number) => (a[o] | (a[o + 1] << 8) | (a[o + 2] << 16) | (a[o + 3] << 24)) >>> 0;

describe("Linux boot protocol loader", () => {
  it("parses Debian's 686 bzImage and builds boot_params, cmdline and initrd placement", () => {
    const kernel = new Uint8Array(readFileSync(KERNEL));
    const info = parseBzImage(kernel);
    expect(info.version).toBeGreaterThanOrEqual(0x020f);
    expect(info.code32Start).toBe(0x100000);
    const ram = 128 << 20;
    const mem = new PhysicalMemory(ram, { shared: false });
    const initrd = new Uint8Array(3_000_000).fill(0x5a);
    const r = loadLinux(mem, {
      kernel,
      initrd,
      cmdline: "console=ttyS0 root=/dev/ram0",
      ramBytes: ram,
      e820: directBootMemoryMap(ram),
      vgaText: true,
      acpiRsdpAddr: 0xf0000,
    });
    expect(r.entry).toBe(0x100000);
    expect(r.esi).toBe(BOOT_PARAMS_ADDR);
    const bp = mem.readBytes(BOOT_PARAMS_ADDR, 4096);
    expect(u32(bp, 0x202)).toBe(0x53726448); // header copied
    expect(bp[0x210]).toBe(0xff); // type_of_loader
    expect(bp[0x211] & 1).toBe(1); // LOADED_HIGH kept
    expect(u32(bp, 0x228)).toBe(CMDLINE_ADDR);
    expect(new TextDecoder().decode(mem.readBytes(CMDLINE_ADDR, 28))).toBe("console=ttyS0 root=/dev/ram0");
    expect(mem.read8(CMDLINE_ADDR + 28)).toBe(0);
    expect(u32(bp, 0x21c)).toBe(initrd.length);
    const initrdAddr = u32(bp, 0x218);
    expect(initrdAddr % 4096).toBe(0);
    expect(initrdAddr + initrd.length).toBeLessThanOrEqual(Math.min(ram, info.initrdAddrMax + 1));
    expect(initrdAddr).toBeGreaterThanOrEqual(0x100000 + info.initSize);
    expect(mem.read8(initrdAddr)).toBe(0x5a);
    expect(u32(bp, 0x070)).toBe(0xf0000); // acpi_rsdp_addr (protocol 2.14+)
    expect(bp[0x06]).toBe(3); // 80x25 colour text
    expect(bp[0x07]).toBe(80);
    expect(bp[0x0e]).toBe(25);
    expect(bp[0x1e8]).toBe(3);
    expect(u32(bp, 0x2d0 + 40)).toBe(0x100000);
    expect(u32(bp, 0x2d0 + 48)).toBe(ram - 0x100000);
    expect(u32(bp, 0x2d0 + 56)).toBe(1);
    // The protected-mode kernel sits at 1 MiB.
    expect([...mem.readBytes(0x100000, 64)]).toEqual([...kernel.subarray(info.kernelOffset, info.kernelOffset + 64)]);
  });

  it("rejects an initrd that cannot fit and a command line that is too long", () => {
    const kernel = new Uint8Array(readFileSync(KERNEL));
    const ram = 32 << 20;
    const mem = new PhysicalMemory(ram, { shared: false });
    const base = { kernel, cmdline: "", ramBytes: ram, e820: directBootMemoryMap(ram), vgaText: false };
    expect(() => loadLinux(mem, { ...base, initrd: new Uint8Array(31 << 20) })).toThrow(/initrd: .* do not fit/);
    expect(() => loadLinux(mem, { ...base, cmdline: "x".repeat(5000) })).toThrow(/cmdline: 5000 bytes/);
  });

  it("names what is wrong with images that are not bzImages", () => {
    expect(() => parseBzImage(new Uint8Array(100))).toThrow(/too small/);
    const img = new Uint8Array(4096);
    expect(() => parseBzImage(img)).toThrow(/0xAA55/);
    img[0x1fe] = 0x55;
    img[0x1ff] = 0xaa;
    expect(() => parseBzImage(img)).toThrow(/HdrS/);
    img.set([0x48, 0x64, 0x72, 0x53], 0x202);
    img[0x206] = 0x02;
    img[0x207] = 0x02;
    expect(() => parseBzImage(img)).toThrow(/2\.02 is too old/);
  });
});

/** A Multiboot image using the a.out kludge: header at file offset 0 describing a load at 1 MiB. */
function aoutImage(code: number[]): Uint8Array {
  const img = new Uint8Array(64 + code.length);
  const v = new DataView(img.buffer);
  const flags = (1 << 16) | (1 << 1);
  v.setUint32(0, 0x1badb002, true);
  v.setUint32(4, flags, true);
  v.setUint32(8, (-(0x1badb002 + flags)) >>> 0, true);
  v.setUint32(12, 0x100000, true); // header_addr
  v.setUint32(16, 0x100000, true); // load_addr
  v.setUint32(20, 0x100000 + img.length, true); // load_end_addr
  v.setUint32(24, 0x100000 + img.length + 0x1000, true); // bss_end_addr
  v.setUint32(28, 0x100040, true); // entry
  img.set(code, 64);
  return img;
}

/** A minimal ELF32 with one PT_LOAD at 2 MiB, and the Multiboot header inside it. */
function elfImage(): Uint8Array {
  const img = new Uint8Array(0x200);
  const v = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, 0x200100, true); // entry
  v.setUint32(28, 52, true); // phoff
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  const ph = 52;
  v.setUint32(ph, 1, true); // PT_LOAD
  v.setUint32(ph + 4, 0x100, true); // offset
  v.setUint32(ph + 8, 0x200000, true);
  v.setUint32(ph + 12, 0x200000, true);
  v.setUint32(ph + 16, 0x100, true); // filesz
  v.setUint32(ph + 20, 0x2000, true); // memsz
  v.setUint32(0x100, 0x1badb002, true);
  v.setUint32(0x104, 0, true);
  v.setUint32(0x108, (-0x1badb002) >>> 0, true);
  img[0x1ff] = 0xcc;
  return img;
}

describe("Multiboot v1 loader", () => {
  it("loads an a.out-kludge image with bss and builds the info structure", () => {
    const ram = 16 << 20;
    const mem = new PhysicalMemory(ram, { shared: false });
    mem.writeBytes(0x100000 + 0x60, new Uint8Array(0x1000).fill(0xee)); // becomes bss: must be zeroed
    const img = aoutImage([0xf4]);
    const r = loadMultiboot(mem, { kernel: img, cmdline: "hello world", ramBytes: ram, e820: directBootMemoryMap(ram) });
    expect(r.entry).toBe(0x100040);
    expect(r.eax).toBe(MULTIBOOT_BOOTLOADER_MAGIC);
    expect(mem.read8(0x100040)).toBe(0xf4);
    expect(mem.read8(0x100041 + 0x100)).toBe(0);
    const info = mem.readBytes(r.ebx, 88);
    expect(u32(info, 0) & 0x247).toBe(0x247); // mem, boot_device, cmdline, mmap, loader name
    expect(u32(info, 4)).toBe(639);
    expect(u32(info, 8)).toBe((ram - 0x100000) / 1024);
    expect(new TextDecoder().decode(mem.readBytes(u32(info, 16), 11))).toBe("hello world");
    const mmapLen = u32(info, 44);
    const mmap = mem.readBytes(u32(info, 48), mmapLen);
    expect(mmapLen).toBe(72);
    expect(u32(mmap, 0)).toBe(20);
    expect(u32(mmap, 48 + 4)).toBe(0x100000);
    expect(u32(mmap, 48 + 20)).toBe(1);
  });

  it("loads ELF32 PT_LOAD segments at p_paddr and zeroes the rest of p_memsz", () => {
    const ram = 16 << 20;
    const mem = new PhysicalMemory(ram, { shared: false });
    mem.write8(0x200100, 0x77);
    const img = elfImage();
    expect(findMultibootHeader(img)?.offset).toBe(0x100);
    const r = loadMultiboot(mem, { kernel: img, cmdline: "", ramBytes: ram, e820: directBootMemoryMap(ram) });
    expect(r.entry).toBe(0x200100);
    expect(mem.read32(0x200000)).toBe(0x1badb002);
    expect(mem.read8(0x2000ff)).toBe(0xcc);
    expect(mem.read8(0x200100)).toBe(0);
    expect(r.loadedEnd).toBe(0x202000);
    expect(r.ebx).toBe(0x202000); // the info goes on the page above the kernel
  });

  it("puts the info above a kernel that sits at 0x8000-0xA84C, outside every segment", () => {
    const ram = 16 << 20;
    const mem = new PhysicalMemory(ram, { shared: false });
    const img = elfImage();
    const v = new DataView(img.buffer);
    v.setUint32(24, 0x8100, true); // entry
    v.setUint32(52 + 12, 0x8000, true); // p_paddr
    v.setUint32(52 + 20, 0xa84c - 0x8000, true); // p_memsz
    const r = loadMultiboot(mem, { kernel: img, cmdline: "low", ramBytes: ram, e820: directBootMemoryMap(ram) });
    expect(r.loadedStart).toBe(0x8000);
    expect(r.loadedEnd).toBe(0xa84c);
    expect(r.ebx).toBe(0xb000);
    expect(mem.read32(0x8000)).toBe(0x1badb002); // the kernel is intact
    expect(new TextDecoder().decode(mem.readBytes(u32(mem.readBytes(r.ebx, 88), 16), 3))).toBe("low");
  });

  it("refuses images without a header, with unknown required flags, or loading outside RAM", () => {
    const mem = new PhysicalMemory(4 << 20, { shared: false });
    const opts = { cmdline: "", ramBytes: 4 << 20, e820: directBootMemoryMap(4 << 20) };
    expect(() => loadMultiboot(mem, { ...opts, kernel: new Uint8Array(1024) })).toThrow(/no Multiboot v1 header/);
    const bad = aoutImage([]);
    const v = new DataView(bad.buffer);
    v.setUint32(4, (1 << 16) | (1 << 5), true);
    v.setUint32(8, (-(0x1badb002 + ((1 << 16) | (1 << 5)))) >>> 0, true);
    expect(() => loadMultiboot(mem, { ...opts, kernel: bad })).toThrow(/requires features 0x20/);
    const big = elfImage();
    new DataView(big.buffer).setUint32(52 + 12, 0x3ff000, true);
    expect(() => loadMultiboot(mem, { ...opts, kernel: big })).toThrow(/outside RAM/);
  });
});
