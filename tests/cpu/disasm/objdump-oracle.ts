// The disassembler's oracle: Debian's objdump (binutils) run over raw bytes, its lines parsed into
// (offset, bytes, text). Only whitespace is normalised: runs of blanks become one space.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OracleLine {
  offset: number;
  bytes: number[];
  text: string;
}

export const OBJDUMP = "/usr/bin/objdump";

/** `objdump -D -b binary` over `code` decoded as 16- or 32-bit code: one line per instruction, in
 *  order. `-z` keeps runs of zero bytes (objdump would print them as "..."), `--insn-width=16`
 *  keeps every instruction's bytes on one line. */
export function objdumpLines(code: Uint8Array, bits: 16 | 32): OracleLine[] {
  const dir = mkdtempSync(join(tmpdir(), "objdump-oracle-"));
  try {
    const file = join(dir, "code.bin");
    writeFileSync(file, code);
    const machine = bits === 16 ? ["-m", "i8086", "-M", "intel"] : ["-m", "i386", "-M", "intel"];
    const r = spawnSync(OBJDUMP, ["-D", "-z", "--insn-width=16", "-b", "binary", ...machine, file], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
    });
    if (r.error) throw new Error(`objdump could not run (${OBJDUMP}, package binutils): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`objdump exited with ${r.status}: ${r.stderr}`);
    return parseObjdump(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LINE = /^\s*([0-9a-f]+):\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\s*(?:\t(.*))?$/;

export function parseObjdump(stdout: string): OracleLine[] {
  const out: OracleLine[] = [];
  for (const raw of stdout.split("\n")) {
    const m = LINE.exec(raw);
    if (!m) continue;
    const bytes = m[2]!.split(" ").map((b) => parseInt(b, 16));
    const text = normaliseSpace(m[3] ?? "");
    // with --insn-width=16 no instruction continues on a second line; a line without text would
    // be such a continuation, which the comparison could not attribute
    if (text === "") throw new Error(`objdump line without an instruction: "${raw}"`);
    out.push({ offset: parseInt(m[1]!, 16), bytes, text });
  }
  return out;
}

export function normaliseSpace(text: string): string {
  return text.trim().replace(/\s+/g, " ");
}
