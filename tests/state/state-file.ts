// The state-file encoding of a SavedState tree (format "hypertab-state-json", version 1; described in
// tests/state/README.md): gzip (fflate) of [u32 LE length of the JSON][JSON document][blob], where
// typed arrays in the JSON are references {$typed, offset, bytes} to their little-endian bytes in the
// blob and numbers JSON cannot hold (-0, NaN, ±Infinity) are tagged {$number}.
// Used to keep snapshots of one release as fixtures that a later release must still load.

import { gunzipSync, gzipSync, strFromU8, strToU8 } from "fflate";
import type { SavedState, StateValue } from "../../src/emulator/state.ts";

export const STATE_FILE_FORMAT = "hypertab-state-json";
export const STATE_FILE_VERSION = 1;

const TYPED = {
  Uint8Array,
  Uint16Array,
  Uint32Array,
  Int32Array,
  Float64Array,
} as const;
type TypedName = keyof typeof TYPED;

export interface StateFile {
  format: typeof STATE_FILE_FORMAT;
  version: number;
  /** What built the machine and how far it ran (free-form, for people and for the loading test). */
  about: Record<string, unknown>;
  state: SavedState;
}

function encodeValue(v: StateValue, blobs: Uint8Array[], at: { offset: number }): unknown {
  if (typeof v === "number") {
    if (Number.isFinite(v) && !Object.is(v, -0)) return v;
    return { $number: Object.is(v, -0) ? "-0" : String(v) };
  }
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (ArrayBuffer.isView(v)) {
    const name = v.constructor.name as TypedName;
    if (!(name in TYPED)) throw new Error(`state file: cannot encode a ${name}`);
    const ref = { $typed: name, offset: at.offset, bytes: v.byteLength };
    blobs.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    at.offset += v.byteLength;
    return ref;
  }
  if (Array.isArray(v)) return v.map((x) => encodeValue(x, blobs, at));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = encodeValue(x, blobs, at);
  return out;
}

function decodeValue(v: unknown, path: string, blob: Uint8Array): StateValue {
  if (v === null || typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map((x, i) => decodeValue(x, `${path}[${i}]`, blob));
  if (typeof v !== "object") throw new Error(`state file: ${path} has an unknown kind of value`);
  const o = v as Record<string, unknown>;
  if (typeof o.$number === "string") return Number(o.$number);
  if (typeof o.$typed === "string") {
    const ctor = TYPED[o.$typed as TypedName];
    const { offset, bytes } = o as { offset: unknown; bytes: unknown };
    if (!ctor || !Number.isInteger(offset) || !Number.isInteger(bytes) || (offset as number) < 0 || (offset as number) + (bytes as number) > blob.length) {
      throw new Error(`state file: ${path} is a malformed typed-array reference`);
    }
    if ((bytes as number) % ctor.BYTES_PER_ELEMENT !== 0) throw new Error(`state file: ${path} has ${String(bytes)} bytes, not a whole ${o.$typed}`);
    const copy = blob.slice(offset as number, (offset as number) + (bytes as number)); // own, aligned buffer
    return new ctor(copy.buffer, 0, copy.length / ctor.BYTES_PER_ELEMENT);
  }
  const out: { [k: string]: StateValue } = {};
  for (const [k, x] of Object.entries(o)) out[k] = decodeValue(x, `${path}.${k}`, blob);
  return out;
}

export function encodeStateFile(state: SavedState, about: Record<string, unknown>): Uint8Array {
  const blobs: Uint8Array[] = [];
  const at = { offset: 0 };
  const doc = { format: STATE_FILE_FORMAT, version: STATE_FILE_VERSION, about, state: encodeValue(state as unknown as StateValue, blobs, at) };
  const json = strToU8(JSON.stringify(doc));
  const out = new Uint8Array(4 + json.length + at.offset);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let pos = 4 + json.length;
  for (const b of blobs) {
    out.set(b, pos);
    pos += b.length;
  }
  return gzipSync(out, { level: 9, mem: 12 });
}

export function decodeStateFile(bytes: Uint8Array): StateFile {
  const raw = gunzipSync(bytes);
  const jsonLength = raw.length >= 4 ? new DataView(raw.buffer, raw.byteOffset).getUint32(0, true) : -1;
  if (jsonLength < 0 || 4 + jsonLength > raw.length) throw new Error("state file: truncated header");
  const doc = JSON.parse(strFromU8(raw.subarray(4, 4 + jsonLength))) as Record<string, unknown>;
  const blob = raw.subarray(4 + jsonLength);
  if (doc.format !== STATE_FILE_FORMAT) throw new Error(`state file: format is ${String(doc.format)}, expected ${STATE_FILE_FORMAT}`);
  if (doc.version !== STATE_FILE_VERSION) throw new Error(`state file: version ${String(doc.version)} is not ${STATE_FILE_VERSION}`);
  const state = decodeValue(doc.state, "state", blob) as unknown as SavedState;
  return { format: STATE_FILE_FORMAT, version: doc.version, about: (doc.about ?? {}) as Record<string, unknown>, state };
}
