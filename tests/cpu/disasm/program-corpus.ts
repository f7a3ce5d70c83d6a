// The instructions of the differential suite's programs (tests/diff/programs/*.asm), taken from
// nasm's listing: each source line that assembles to an instruction gives its bytes and the mode
// (`bits 16`/`bits 32`) it was assembled for. Data (db/dd/times/align padding…) is left out.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diffDir, listPrograms } from "../../diff/diff-runner.ts";

export interface ListedInstruction {
  program: string;
  /** Listing line number and source text, for messages. */
  line: number;
  source: string;
  bits: 16 | 32;
  bytes: number[];
}

/** Lines that emit data, not instructions. */
const DATA = /^(db|dw|dd|dq|dt|do|dy|dz|times|align|alignb|incbin|resb|resw|resd|resq|rest|istruc|at|iend)\b/i;

/** nasm listing line: number, offset, bytes (a trailing "-" continues them on the next line with
 *  the same number and no source), macro level, source. Relocated values appear in brackets or
 *  parentheses (their bytes before relocation: same length, same instruction form). */
const LISTED = /^\s*(\d+) ([0-9A-F]{8}) ([0-9A-F[\]()]+?)(-?)\s+(?:<\d+>)?(?: ?(.*))?$/;

export function listInstructions(name: string, source: string): ListedInstruction[] {
  const dir = mkdtempSync(join(tmpdir(), "disasm-corpus-"));
  try {
    const asm = join(dir, `${name}.asm`);
    writeFileSync(asm, source);
    const lst = join(dir, `${name}.lst`);
    const r = spawnSync("nasm", ["-f", "bin", "-I", `${diffDir}/`, "-o", join(dir, `${name}.bin`), "-l", lst, asm], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`nasm failed for ${name}: ${r.stderr}`);
    return parseListing(name, readFileSync(lst, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseListing(program: string, listing: string): ListedInstruction[] {
  const out: ListedInstruction[] = [];
  let bits: 16 | 32 = 32;
  let pending: ListedInstruction | null = null;
  for (const raw of listing.split("\n")) {
    const m = LISTED.exec(raw);
    const source = (m ? (m[5] ?? "") : raw.replace(/^\s*\d+\s+(?:<\d+>)?/, "")).replace(/;.*/, "").trim();
    const directive = /^\[?\s*bits\s+(16|32)\b/i.exec(source) ?? /^(use16|use32)\b/i.exec(source);
    if (directive) bits = directive[1] === "16" || directive[1]?.toLowerCase() === "use16" ? 16 : 32;
    if (!m) continue;
    const bytes = m[3]!.replace(/[[\]()]/g, "");
    const hex = (bytes.match(/../g) ?? []).map((b) => parseInt(b, 16));
    if (pending) {
      pending.bytes.push(...hex);
      if (m[4] !== "-") pending = null;
      continue;
    }
    const statement = source.replace(/^[\w.$@?]+:\s*/, "");
    if (statement === "" || DATA.test(statement) || m[3]!.includes("<rep")) continue;
    const insn: ListedInstruction = { program, line: Number(m[1]), source: statement, bits, bytes: hex };
    out.push(insn);
    if (m[4] === "-") pending = insn;
  }
  return out;
}

export function programCorpus(): ListedInstruction[] {
  return listPrograms().flatMap((p) => listInstructions(p.name, p.source));
}
