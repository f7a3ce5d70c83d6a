// Thousands of mutated real snapshot files through the whole loader: decodeSnapshotFile, then
// readSnapshot and restoreMachine for each manifest, then a short run. Each mutant is either
// refused with a SnapshotFormatError or StateError that has a message, or loads; a mutant that
// loads without a re-sealed manifest must be the same snapshot (same RAM). No other exception, no
// hang (every step is bounded by the file's size). Seeded: a failure names its mutant's number.

import { beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { StateError } from "../../src/emulator/state.ts";
import { decodeSnapshotFile, readSnapshot, restoreMachine, SnapshotFormatError } from "../../src/hypervisor/snapshot/index.ts";
import { xorshift32 } from "../xorshift.ts";
import { joinFile, reseal, splitFile } from "./file-surgery.ts";
import { realSnapshotFile } from "./small-machine.ts";

const MUTANTS = 2000;

let file: Uint8Array;
let ramSha256: string;
beforeAll(async () => {
  ({ file, ramSha256 } = await realSnapshotFile());
});

type Rng = () => number;
const below = (rng: Rng, n: number) => rng() % n;

/** A replacement for a JSON value: near and far numbers, other kinds, a chunk-reference lookalike. */
function otherValue(rng: Rng, v: unknown): unknown {
  const n = typeof v === "number" ? v : 0;
  const choices: unknown[] = [n + 1, n - 1, n * 2, -n, 2 ** 32, 2 ** 53, 1e308, 0.5, -1, "x", "", null, true, [], {}, [n], { $bytes: "Uint8Array", byteLength: 65536, chunks: [null] }, { $typed: "Float64Array", base64: "AAAAAAAA8D8=" }, { $number: "NaN" }];
  if (typeof v === "string") choices.push(v.slice(1), v + "0", v.toUpperCase());
  return choices[below(rng, choices.length)];
}

/** Every container and key in a JSON tree (where an edit can go). */
function places(root: unknown): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), walk(x)));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push([v as Record<string, unknown>, k]), walk(x);
  };
  walk(root);
  return out;
}

async function mutate(rng: Rng): Promise<{ bytes: Uint8Array; kind: string; resealed: boolean }> {
  const kind = below(rng, 6);
  const bytes = file.slice();
  if (kind === 0) {
    for (let i = 0, n = 1 + below(rng, 4); i < n; i++) bytes[below(rng, bytes.length)] ^= 1 << below(rng, 8);
    return { bytes, kind: "byte flips", resealed: false };
  }
  if (kind === 1) return { bytes: bytes.subarray(0, below(rng, bytes.length)), kind: "truncation", resealed: false };
  if (kind === 2) {
    const at = below(rng, bytes.length + 1);
    const extra = Uint8Array.from({ length: 1 + below(rng, 16) }, () => below(rng, 256));
    return { bytes: Uint8Array.from([...bytes.subarray(0, at), ...extra, ...bytes.subarray(at)]), kind: "insertion", resealed: false };
  }
  if (kind === 3) {
    const at = below(rng, bytes.length);
    return { bytes: Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + below(rng, 64))]), kind: "deletion", resealed: false };
  }
  // A field of the manifest JSON edited, deleted or added; with kind 5 the id is made to fit.
  const parts = splitFile(file);
  const all = places(parts.manifests);
  const [holder, key] = all[below(rng, all.length)]!;
  const action = below(rng, 4);
  if (action === 0 && !Array.isArray(holder)) delete holder[key as string];
  else if (action === 1 && !Array.isArray(holder)) holder[`extra${below(rng, 3)}`] = otherValue(rng, null);
  else (holder as Record<string | number, unknown>)[key] = otherValue(rng, (holder as Record<string | number, unknown>)[key]);
  const resealed = kind === 5;
  if (resealed) parts.manifests = await Promise.all(parts.manifests.map((m) => reseal(m).catch(() => m)));
  return { bytes: joinFile(parts), kind: resealed ? "re-sealed manifest edit" : "manifest edit", resealed };
}

/** The whole load path; returns the RAM hash of every restored machine. */
async function load(bytes: Uint8Array): Promise<string[]> {
  const { manifests, chunks } = await decodeSnapshotFile(bytes);
  const rams: string[] = [];
  for (const m of manifests) {
    const { capture } = await readSnapshot(m, chunks);
    const machine = restoreMachine(capture, { wallClock: () => 0, jit: false });
    machine.runSlice({ maxInstructions: 2000, skipIdle: true });
    rams.push(createHash("sha256").update(capture.state.fields.ram as Uint8Array).digest("hex"));
  }
  return rams;
}

describe("snapshot loader fuzz", () => {
  it(`refuses or loads each of ${MUTANTS} mutated real snapshot files, with a message, never anything else`, async () => {
    const rng = xorshift32(0x5eed_0010);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < MUTANTS; i++) {
      const { bytes, kind, resealed } = await mutate(rng);
      let outcome: string;
      try {
        const rams = await load(bytes);
        if (!resealed) expect(rams, `mutant ${i} (${kind}) loaded as a different snapshot`).toEqual([ramSha256]);
        outcome = "loaded";
      } catch (e) {
        const ok = (e instanceof SnapshotFormatError || e instanceof StateError) && e.message.length > 0;
        if (!ok) throw new Error(`mutant ${i} (${kind}) threw ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`);
        outcome = e instanceof StateError ? "StateError" : "SnapshotFormatError";
      }
      outcomes[`${kind}: ${outcome}`] = (outcomes[`${kind}: ${outcome}`] ?? 0) + 1;
    }
    // Every kind of mutation was tried and the loader refused most of them.
    console.log("snapshot fuzz outcomes", outcomes);
    for (const kind of ["byte flips", "truncation", "insertion", "deletion", "manifest edit", "re-sealed manifest edit"]) {
      expect(outcomes[`${kind}: SnapshotFormatError`], kind).toBeGreaterThan(0);
    }
  }, 600_000);
});
