// Kernel modules for the Linux guest's initramfs (scripts/guests/kernel-modules.ts): .modinfo read
// out of the ELF file, dependencies closed and ordered, modules.dep in depmod's format, and clear
// refusals for what cannot be included.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { GUEST_MODULES } from "../../scripts/guests/initramfs.ts";
import { KernelModuleError, readModinfo, resolveModules } from "../../scripts/guests/kernel-modules.ts";

/** A minimal ELF32 relocatable object: sections null, .shstrtab and .modinfo. */
function fakeModule(info: string[]): Uint8Array {
  const enc = new TextEncoder();
  const shstrtab = enc.encode("\0.shstrtab\0.modinfo\0");
  const modinfo = enc.encode(info.map((s) => `${s}\0`).join(""));
  const shoff = 52 + shstrtab.length + modinfo.length;
  const elf = new Uint8Array(shoff + 3 * 40);
  const v = new DataView(elf.buffer);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(0x20, shoff, true);
  v.setUint16(0x2e, 40, true);
  v.setUint16(0x30, 3, true);
  v.setUint16(0x32, 1, true);
  elf.set(shstrtab, 52);
  elf.set(modinfo, 52 + shstrtab.length);
  const section = (i: number, name: number, offset: number, size: number) => {
    const at = shoff + i * 40;
    v.setUint32(at, name, true);
    v.setUint32(at + 4, 3, true);
    v.setUint32(at + 0x10, offset, true);
    v.setUint32(at + 0x14, size, true);
  };
  section(1, 1, 52, shstrtab.length);
  section(2, 11, 52 + shstrtab.length, modinfo.length);
  return elf;
}

const work = mkdtempSync(join(tmpdir(), "kernel-modules-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An unpacked kernel package with modules under lib/modules/6.1.0-test. */
function fakePackage(modules: Record<string, string[]>, builtin: string[] = []): string {
  const root = mkdtempSync(join(work, "pkg-"));
  const dir = join(root, "lib/modules/6.1.0-test");
  mkdirSync(join(dir, "kernel/drivers"), { recursive: true });
  const order: string[] = [];
  for (const [file, info] of Object.entries(modules)) {
    order.push(`kernel/drivers/${file}`);
    writeFileSync(join(dir, "kernel/drivers", file), fakeModule(info));
  }
  writeFileSync(join(dir, "modules.order"), order.map((p) => `${p}\n`).join(""));
  writeFileSync(join(dir, "modules.builtin"), builtin.map((p) => `kernel/${p}.ko\n`).join(""));
  return root;
}

describe("kernel modules for the initramfs", () => {
  test("reads .modinfo key=value strings, repeated keys kept in order", () => {
    const info = readModinfo(fakeModule(["alias=pci:v1*", "depends=a,b", "alias=pci:v2*", "license=GPL"]), "x.ko");
    expect(info.get("alias")).toEqual(["pci:v1*", "pci:v2*"]);
    expect(info.get("depends")).toEqual(["a,b"]);
    expect(() => readModinfo(new Uint8Array(64), "zero.ko")).toThrow(/zero\.ko is not an ELF file/);
  });

  test("closes over dependencies, orders them for loading, and writes modules.dep and modules.alias", () => {
    const root = fakePackage({
      "base.ko": ["depends="],
      "mid-layer.ko": ["depends=base"],
      "nic-pci.ko": ["depends=mid_layer,base", "alias=pci:v000010ECd00008029sv*sd*bc*sc*i*"],
      "unused.ko": ["depends="],
    });
    const set = resolveModules(root, ["nic-pci"]);
    expect(set.release).toBe("6.1.0-test");
    expect(set.modules.map((m) => m.name)).toEqual(["base", "mid_layer", "nic_pci"]);
    expect(set.modulesDep).toBe(
      "kernel/drivers/base.ko:\n" +
        "kernel/drivers/mid-layer.ko: kernel/drivers/base.ko\n" +
        "kernel/drivers/nic-pci.ko: kernel/drivers/mid-layer.ko kernel/drivers/base.ko\n",
    );
    expect(set.modulesAlias).toBe("alias pci:v000010ECd00008029sv*sd*bc*sc*i* nic_pci\n");
  });

  test("refuses built-in, unknown, compressed and cyclic modules, naming them", () => {
    const root = fakePackage({ "a.ko": ["depends=b"], "b.ko": ["depends=a"], "c.ko": ["depends="] }, ["fs/ext4"]);
    expect(() => resolveModules(root, ["ext4"])).toThrow(/"ext4" cannot be included: it is built into the kernel/);
    expect(() => resolveModules(root, ["nope"])).toThrow(/"nope" cannot be included: it is not in the package's modules.order/);
    expect(() => resolveModules(root, ["a"])).toThrow(/cycle: a -> b -> a/);
    const dir = join(root, "lib/modules/6.1.0-test/kernel/drivers");
    rmSync(join(dir, "c.ko"));
    writeFileSync(join(dir, "c.ko.xz"), "");
    expect(() => resolveModules(root, ["c"])).toThrow(KernelModuleError);
    expect(() => resolveModules(root, ["c"])).toThrow(/c\.ko\.xz is compressed/);
  });

  const debs = resolve(import.meta.dirname, "../../.cache/debs");
  const kernel = existsSync(debs) ? readdirSync(debs).find((f) => /^linux-image-[0-9.]+-\d+-686_.*_i386$/.test(f)) : undefined;
  test.runIf(kernel)("resolves the guest's module list in Debian's 686 kernel package", () => {
    const set = resolveModules(join(debs, kernel!), GUEST_MODULES);
    const names = set.modules.map((m) => m.name);
    for (const n of ["ata_piix", "libata", "scsi_mod", "sd_mod", "floppy", "vfat", "fat", "ne2k_pci", "8390", "virtio_pci", "virtio", "virtio_net", "e1000"])
      expect(names, n).toContain(n);
    expect(names.indexOf("libata")).toBeLessThan(names.indexOf("ata_piix"));
    expect(set.modulesAlias).toMatch(/^alias pci:v000010ECd00008029sv\*sd\*bc\*sc\*i\* ne2k_pci$/m);
    expect(set.modulesAlias).toMatch(/^alias pci:v00008086d00007010sv\*sd\*bc\*sc\*i\* ata_piix$/m);
    expect(set.modulesAlias).toMatch(/^alias fs-vfat vfat$/m);
  });
});
