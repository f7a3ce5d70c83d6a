// Reading the hardware reference files of this folder (sse-reference.py and
// sse-unmasked-reference.py write them: one case a line, fields separated by spaces, 128-bit values
// as 32 hex digits, most significant first).

import { readFileSync } from "node:fs";

/** The cases of reference file `name` in this folder, as their fields, grouped by `key(fields)` in
 *  file order. */
export function referenceCases(name: string, key: (fields: string[]) => string): Map<string, string[][]> {
  const lines = readFileSync(new URL(`./${name}`, import.meta.url), "utf8").trim().split("\n");
  const groups = new Map<string, string[][]>();
  for (const line of lines) {
    const fields = line.split(" ");
    const k = key(fields);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(fields);
  }
  return groups;
}

/** Stores 32 hex digits into view[base..base+3], least significant word first. */
export function setHex128(view: Uint32Array, base: number, hex: string): void {
  for (let i = 0; i < 4; i++) view[base + i] = parseInt(hex.slice(24 - 8 * i, 32 - 8 * i), 16);
}

/** view[base..base+3] as 32 hex digits, most significant first. */
export function hex128(view: Uint32Array, base: number): string {
  let s = "";
  for (let i = 3; i >= 0; i--) s += view[base + i].toString(16).padStart(8, "0");
  return s;
}
