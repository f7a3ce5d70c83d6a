// Kernel modules for the initramfs, taken from the kernel package itself: a declared list of
// module names, closed over their dependencies (read from each module's .modinfo "depends=", since
// the package ships no modules.dep: depmod runs at install time), with a modules.dep and a
// modules.alias for exactly those modules so that busybox modprobe and mdev can load them by name
// and by MODALIAS.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { CpioEntry } from "./cpio-newc.ts";

export class KernelModuleError extends Error {
  override name = "KernelModuleError";
}

/** The key=value strings of an ELF object's .modinfo section (ELF32 or ELF64, little-endian). */
export function readModinfo(elf: Uint8Array, what: string): Map<string, string[]> {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 52 || view.getUint32(0) !== 0x7f454c46) throw new KernelModuleError(`${what} is not an ELF file`);
  const is64 = elf[4] === 2;
  if (elf[5] !== 1) throw new KernelModuleError(`${what} is not little-endian ELF`);
  const word = (at: number) => (is64 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true));
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = view.getUint16(is64 ? 0x3a : 0x2e, true);
  const shnum = view.getUint16(is64 ? 0x3c : 0x30, true);
  const shstrndx = view.getUint16(is64 ? 0x3e : 0x32, true);
  if (shoff + shnum * shentsize > elf.length || shstrndx >= shnum) throw new KernelModuleError(`${what}: section table out of bounds`);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { name: view.getUint32(at, true), offset: word(at + (is64 ? 0x18 : 0x10)), size: word(at + (is64 ? 0x20 : 0x14)) };
  };
  const names = section(shstrndx);
  const decoder = new TextDecoder("latin1");
  const cString = (from: number) => decoder.decode(elf.subarray(from, elf.indexOf(0, from)));
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (cString(names.offset + s.name) !== ".modinfo") continue;
    if (s.offset + s.size > elf.length) throw new KernelModuleError(`${what}: .modinfo out of bounds`);
    const info = new Map<string, string[]>();
    for (const entry of decoder.decode(elf.subarray(s.offset, s.offset + s.size)).split("\0")) {
      const eq = entry.indexOf("=");
      if (eq <= 0) continue;
      const key = entry.slice(0, eq);
      info.set(key, [...(info.get(key) ?? []), entry.slice(eq + 1)]);
    }
    return info;
  }
  throw new KernelModuleError(`${what} has no .modinfo section (not a kernel module?)`);
}

/** Module names as the kernel and modprobe compare them: "ne2k-pci" and "ne2k_pci" are one module. */
export const moduleName = (name: string) => name.replace(/-/g, "_");

export interface KernelModule {
  name: string;
  /** Relative to /lib/modules/<release>/, e.g. "kernel/drivers/net/ethernet/8390/ne2k-pci.ko". */
  path: string;
  data: Uint8Array;
  /** Direct dependencies (module names), as .modinfo lists them. */
  depends: string[];
  aliases: string[];
}

export interface ModuleSet {
  release: string;
  /** Every module needed, each after everything it depends on (a valid load order). */
  modules: KernelModule[];
  /** The modules.dep text for these modules (depmod's format: a module, then its dependencies
   *  in the reverse of their load order). */
  modulesDep: string;
  modulesAlias: string;
}

/** The only /lib/modules/<release> folder of an unpacked kernel package. */
export function moduleRelease(kernelRoot: string): string {
  const base = join(kernelRoot, "lib/modules");
  const releases = existsSync(base) ? readdirSync(base) : [];
  if (releases.length !== 1) throw new KernelModuleError(`expected one kernel release under ${base}, found ${releases.length ? releases.join(", ") : "none"}`);
  return releases[0]!;
}

/**
 * Resolves `wanted` (module names) and their dependencies in the unpacked kernel package at
 * `kernelRoot`. Modules must be uncompressed .ko files (Debian 12 builds with
 * CONFIG_MODULE_COMPRESS_NONE); a compressed one is refused with a message that says so.
 */
export function resolveModules(kernelRoot: string, wanted: readonly string[]): ModuleSet {
  const release = moduleRelease(kernelRoot);
  const dir = join(kernelRoot, "lib/modules", release);
  const orderFile = join(dir, "modules.order");
  if (!existsSync(orderFile)) throw new KernelModuleError(`${orderFile} is missing`);
  const builtin = new Set(
    (existsSync(join(dir, "modules.builtin")) ? readFileSync(join(dir, "modules.builtin"), "utf8") : "")
      .split("\n")
      .filter(Boolean)
      .map((p) => moduleName(p.replace(/^.*\//, "").replace(/\.ko$/, ""))),
  );
  const paths = new Map<string, string>();
  for (const line of readFileSync(orderFile, "utf8").split("\n")) {
    const path = line.trim();
    if (path) paths.set(moduleName(path.replace(/^.*\//, "").replace(/\.ko$/, "")), path);
  }

  const found = new Map<string, KernelModule>();
  const order: KernelModule[] = [];
  const visit = (name: string, chain: string[]) => {
    const key = moduleName(name);
    if (found.has(key)) return;
    if (chain.includes(key)) throw new KernelModuleError(`module dependency cycle: ${[...chain, key].join(" -> ")}`);
    const path = paths.get(key);
    if (!path) {
      const why = builtin.has(key) ? "it is built into the kernel" : "it is not in the package's modules.order";
      throw new KernelModuleError(`kernel module "${name}"${chain.length ? ` (needed by ${chain.join(" -> ")})` : ""} cannot be included: ${why}`);
    }
    const full = join(dir, path);
    if (!existsSync(full)) {
      const compressed = [".xz", ".zst", ".gz"].find((ext) => existsSync(full + ext));
      if (compressed) throw new KernelModuleError(`kernel module ${path}${compressed} is compressed; the initramfs builder takes uncompressed .ko only`);
      throw new KernelModuleError(`kernel module file ${full} is missing`);
    }
    const data = new Uint8Array(readFileSync(full));
    const info = readModinfo(data, path);
    const depends = (info.get("depends")?.[0] ?? "").split(",").filter(Boolean).map(moduleName);
    for (const dep of depends) visit(dep, [...chain, key]);
    const module: KernelModule = { name: key, path, data, depends, aliases: info.get("alias") ?? [] };
    found.set(key, module);
    order.push(module);
  };
  for (const name of wanted) visit(name, []);

  // depmod lists every (indirect) dependency, the last one to be loaded first.
  const closure = (m: KernelModule): KernelModule[] => {
    const all = new Set<KernelModule>();
    const add = (x: KernelModule) => x.depends.forEach((d) => { const dep = found.get(d)!; if (!all.has(dep)) { all.add(dep); add(dep); } });
    add(m);
    return order.filter((x) => all.has(x)).reverse();
  };
  const modulesDep = order.map((m) => `${m.path}:${closure(m).map((d) => ` ${d.path}`).join("")}\n`).join("");
  const modulesAlias = order.flatMap((m) => m.aliases.map((a) => `alias ${a} ${m.name}\n`)).join("");
  return { release, modules: order, modulesDep, modulesAlias };
}

/** The files of /lib/modules/<release>: the modules, modules.dep and modules.alias. */
export function moduleFiles(set: ModuleSet): CpioEntry[] {
  const encoder = new TextEncoder();
  const root = `lib/modules/${set.release}`;
  return [
    ...set.modules.map((m): CpioEntry => ({ kind: "file", path: `${root}/${m.path}`, data: m.data })),
    { kind: "file", path: `${root}/modules.dep`, data: encoder.encode(set.modulesDep) },
    { kind: "file", path: `${root}/modules.alias`, data: encoder.encode(set.modulesAlias) },
  ];
}
