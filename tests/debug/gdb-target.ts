// The GDB stub tests' kernel: tests/debug/asm/gdb-target.asm assembled by nasm as ELF32 and linked
// by binutils' ld at 1 MiB with its symbols (set_values, bump, counter), a Multiboot ELF image.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SOURCE = join(import.meta.dirname, "asm", "gdb-target.asm");

export const haveTool = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
export const canBuildTarget = haveTool("nasm") && haveTool("ld");

let built: string | null = null;

/** Path of the linked ELF (built once per test file). */
export function buildGdbTarget(): string {
  if (built !== null) return built;
  const dir = mkdtempSync(join(tmpdir(), "hypertab-gdb-"));
  const obj = join(dir, "gdb-target.o");
  const elf = join(dir, "gdb-target.elf");
  execFileSync("nasm", ["-f", "elf32", SOURCE, "-o", obj]);
  // -N: one segment from 1 MiB up, without the ELF headers in front (the loader refuses anything below 1 MiB).
  execFileSync("ld", ["-m", "elf_i386", "-N", "--no-warn-rwx-segments", "-Ttext=0x100000", "-e", "_start", "-o", elf, obj]);
  built = elf;
  return elf;
}

/** The kernel's symbols and their addresses, as binutils' nm lists them. */
export function targetSymbols(elf: string): Map<string, number> {
  const out = execFileSync("nm", [elf], { encoding: "utf8" });
  return new Map(out.trim().split("\n").map((line) => {
    const [addr, , name] = line.split(" ");
    return [name!, parseInt(addr!, 16)] as const;
  }));
}
