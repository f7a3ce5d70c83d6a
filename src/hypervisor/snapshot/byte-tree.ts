// The config and state trees as JSON: every typed array of INLINE_MAX_BYTES or more becomes a list
// of chunk references ({$bytes}), a smaller one stays inline as base64 ({$typed}), and a number
// JSON cannot hold is tagged ({$number}). Writing hashes, compresses and stores the chunks;
// reading checks the whole tree and every declared size before it allocates, then fills the arrays
// from verified chunks.

import type { ChunkStore } from "./chunk-store.ts";
import { isChunkHash, packChunk, sha256Hex, short, unpackChunk } from "./chunk-codec.ts";
import { formatFail, SnapshotFormatError } from "./errors.ts";
import { CHUNK_SIZE, INLINE_MAX_BYTES, MAX_ARRAY_BYTES, MAX_SNAPSHOT_BYTES, MAX_TREE_DEPTH } from "./format-limits.ts";
import { fromBase64, toBase64 } from "./base64.ts";

/** The typed arrays a tree may hold (those of the emulator's StateValue), by constructor name. */
const TYPED = { Uint8Array, Uint16Array, Uint32Array, Int32Array, Float64Array } as const;
type TypedName = keyof typeof TYPED;
export type TypedArray = InstanceType<(typeof TYPED)[TypedName]>;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A chunked byte array in a manifest: element type, byte length, one hash (or null: all zero) per
 *  CHUNK_SIZE bytes. */
export interface BytesRef {
  $bytes: TypedName;
  byteLength: number;
  chunks: (string | null)[];
}

function typedName(v: ArrayBufferView): TypedName | null {
  for (const name of Object.keys(TYPED) as TypedName[]) if (v instanceof TYPED[name]) return name;
  return null;
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

// ---- writing ----

export interface PendingArray {
  ref: BytesRef;
  bytes: Uint8Array;
}

/** The tree as JSON; big arrays come back in `pending` with their (still empty) chunk lists. */
export function treeToJson(value: unknown, pending: PendingArray[], path = "", depth = 0): Json {
  if (depth > MAX_TREE_DEPTH) throw new Error(`snapshot: ${path} is nested deeper than ${MAX_TREE_DEPTH}`);
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (Number.isFinite(value) && !Object.is(value, -0)) return value;
    return { $number: Object.is(value, -0) ? "-0" : String(value) };
  }
  if (ArrayBuffer.isView(value)) {
    const name = typedName(value);
    if (!name) throw new Error(`snapshot: ${path} is a ${value.constructor.name}, which the format does not hold`);
    const bytes = bytesOf(value);
    if (bytes.length < INLINE_MAX_BYTES) return { $typed: name, base64: toBase64(bytes) };
    const ref: BytesRef = { $bytes: name, byteLength: bytes.length, chunks: [] };
    pending.push({ ref, bytes });
    return ref as unknown as Json;
  }
  if (Array.isArray(value)) return value.map((x, i) => treeToJson(x, pending, `${path}[${i}]`, depth + 1));
  if (typeof value === "object") {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(value)) {
      if (x === undefined) continue; // an absent optional field (JSON has no undefined)
      if (k.startsWith("$")) throw new Error(`snapshot: ${path}.${k}: field names starting with "$" are reserved for the format`);
      out[k] = treeToJson(x, pending, `${path}.${k}`, depth + 1);
    }
    return out;
  }
  throw new Error(`snapshot: ${path} is a ${typeof value}, which the format does not hold`);
}

function isZero(bytes: Uint8Array): boolean {
  const words = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : null;
  let i = 0;
  if (words) {
    for (let w = 0; w < words.length; w++) if (words[w] !== 0) return false;
    i = words.length << 2;
  }
  for (; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Hashes each chunk of the pending arrays, compresses and stores the ones `store` lacks, and
 *  fills the chunk lists. */
export async function storeChunks(pending: PendingArray[], store: ChunkStore, progress?: (fraction: number) => void): Promise<void> {
  const total = pending.reduce((n, p) => n + p.bytes.length, 0);
  const known = new Set<string>(); // stored or found present during this write
  let done = 0;
  const BATCH = 32;
  for (const { ref, bytes } of pending) {
    const count = Math.ceil(bytes.length / CHUNK_SIZE);
    ref.chunks = new Array<string | null>(count).fill(null);
    for (let first = 0; first < count; first += BATCH) {
      const last = Math.min(count, first + BATCH);
      const hashes: Promise<string | null>[] = [];
      for (let c = first; c < last; c++) {
        const chunk = bytes.subarray(c * CHUNK_SIZE, Math.min(bytes.length, (c + 1) * CHUNK_SIZE));
        hashes.push(isZero(chunk) ? Promise.resolve(null) : sha256Hex(chunk));
      }
      const names = await Promise.all(hashes);
      const work: Promise<void>[] = [];
      for (let c = first; c < last; c++) {
        const hash = names[c - first]!;
        ref.chunks[c] = hash;
        if (hash === null || known.has(hash)) continue;
        known.add(hash);
        const chunk = bytes.subarray(c * CHUNK_SIZE, Math.min(bytes.length, (c + 1) * CHUNK_SIZE));
        work.push(store.has(hash).then(async (present) => (present ? undefined : store.put(hash, await packChunk(chunk)))));
      }
      await Promise.all(work);
      done += Math.min(bytes.length, last * CHUNK_SIZE) - first * CHUNK_SIZE;
      progress?.(total ? done / total : 1);
    }
  }
}

// ---- reading ----

/** A chunked array found in a manifest tree, allocated and filled by `fillArrays`. */
interface FoundArray {
  ref: BytesRef;
  path: string;
  /** Puts the filled array where the reference was. */
  place: (v: TypedArray) => void;
}

export interface TreeReader {
  found: FoundArray[];
  declaredBytes: number;
  /** Every chunk hash the trees reference. */
  hashes: Set<string>;
}

export function newTreeReader(): TreeReader {
  return { found: [], declaredBytes: 0, hashes: new Set() };
}

/** A record (not an array, typed array or null). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
/** A record JSON.parse could have made (a manifest from IndexedDB may hold class instances). */
export const isJsonObject = (v: unknown): v is Record<string, unknown> => isObject(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

function hasExactly(o: Record<string, unknown>, keys: string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(o, k));
}

function checkRef(o: Record<string, unknown>, path: string): BytesRef {
  if (!hasExactly(o, ["$bytes", "byteLength", "chunks"])) formatFail(`${path}: a byte-array reference must have exactly $bytes, byteLength and chunks`);
  const name = o.$bytes;
  if (typeof name !== "string" || !Object.hasOwn(TYPED, name)) formatFail(`${path}: unknown array type ${JSON.stringify(name)}`);
  const n = o.byteLength;
  if (typeof n !== "number" || !Number.isInteger(n) || n < INLINE_MAX_BYTES || n > MAX_ARRAY_BYTES) formatFail(`${path}: byteLength ${String(n)} is not an integer ${INLINE_MAX_BYTES}..${MAX_ARRAY_BYTES}`);
  if (n % TYPED[name as TypedName].BYTES_PER_ELEMENT !== 0) formatFail(`${path}: ${n} bytes is not a whole ${name}`);
  const chunks = o.chunks;
  const want = Math.ceil(n / CHUNK_SIZE);
  if (!Array.isArray(chunks) || chunks.length !== want) formatFail(`${path}: ${n} bytes needs ${want} chunk entries, found ${Array.isArray(chunks) ? chunks.length : "none"}`);
  for (let i = 0; i < chunks.length; i++) {
    if (chunks[i] !== null && !isChunkHash(chunks[i])) formatFail(`${path}: chunk entry ${i} is neither null nor a SHA-256 hex name`);
  }
  return { $bytes: name as TypedName, byteLength: n, chunks: chunks as (string | null)[] };
}

/** Checks a JSON tree and returns it with inline arrays and numbers decoded; chunked arrays are
 *  recorded in `reader` (placed by `fillArrays`). Allocates nothing beyond the manifest's size. */
export function jsonToTree(json: unknown, reader: TreeReader, path: string, depth = 0, place: (v: TypedArray) => void = () => {}): unknown {
  if (depth > MAX_TREE_DEPTH) formatFail(`${path} is nested deeper than ${MAX_TREE_DEPTH}`);
  if (json === null || typeof json === "boolean" || typeof json === "string") return json;
  if (typeof json === "number") {
    if (!Number.isFinite(json)) formatFail(`${path} is not a finite number`);
    return json;
  }
  if (Array.isArray(json)) {
    const out: unknown[] = new Array(json.length);
    for (let i = 0; i < json.length; i++) out[i] = jsonToTree(json[i], reader, `${path}[${i}]`, depth + 1, (v) => (out[i] = v));
    return out;
  }
  if (!isJsonObject(json)) formatFail(`${path} is not JSON`);
  if (Object.hasOwn(json, "$number")) {
    const n = json.$number;
    if (!hasExactly(json, ["$number"]) || (n !== "-0" && n !== "NaN" && n !== "Infinity" && n !== "-Infinity")) formatFail(`${path}: malformed $number`);
    return Number(n);
  }
  if (Object.hasOwn(json, "$typed")) {
    const name = json.$typed;
    if (!hasExactly(json, ["$typed", "base64"]) || typeof name !== "string" || !Object.hasOwn(TYPED, name) || typeof json.base64 !== "string") formatFail(`${path}: malformed inline array`);
    const bytes = fromBase64(json.base64);
    const ctor = TYPED[name as TypedName];
    if (!bytes) formatFail(`${path}: inline array is not base64`);
    if (bytes.length >= INLINE_MAX_BYTES || bytes.length % ctor.BYTES_PER_ELEMENT !== 0) formatFail(`${path}: inline array of ${bytes.length} bytes is not a short whole ${name}`);
    return new ctor(bytes.buffer, 0, bytes.length / ctor.BYTES_PER_ELEMENT);
  }
  if (Object.hasOwn(json, "$bytes")) {
    const ref = checkRef(json, path);
    reader.declaredBytes += ref.byteLength;
    if (reader.declaredBytes > MAX_SNAPSHOT_BYTES) formatFail(`${path}: the snapshot declares more than ${MAX_SNAPSHOT_BYTES} bytes of arrays`);
    for (const h of ref.chunks) if (h !== null) reader.hashes.add(h);
    reader.found.push({ ref, path, place });
    return null; // replaced by place()
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(json)) {
    if (k.startsWith("$")) formatFail(`${path}: unknown tag "${k}"`);
    if (k === "__proto__") formatFail(`${path}: field name "__proto__" is not allowed`);
    out[k] = jsonToTree(x, reader, `${path}.${k}`, depth + 1, (v) => (out[k] = v));
  }
  return out;
}

/** Allocates every recorded array and fills it from verified chunks (zero where elided). */
export async function fillArrays(reader: TreeReader, store: ChunkStore, progress?: (fraction: number) => void): Promise<void> {
  const total = reader.declaredBytes;
  let done = 0;
  // A chunk repeated within the snapshot is unpacked and verified once, then copied.
  const seen = new Map<string, Uint8Array>();
  for (const { ref, path, place } of reader.found) {
    let buffer: ArrayBuffer;
    try {
      buffer = new ArrayBuffer(ref.byteLength);
    } catch (e) {
      throw new SnapshotFormatError(`${path}: cannot allocate ${ref.byteLength} bytes (${(e as Error).message})`);
    }
    const bytes = new Uint8Array(buffer);
    for (let c = 0; c < ref.chunks.length; c++) {
      const hash = ref.chunks[c];
      if (hash === null) continue;
      const at = c * CHUNK_SIZE;
      const length = Math.min(CHUNK_SIZE, ref.byteLength - at);
      const prior = seen.get(hash);
      if (prior) {
        if (prior.length !== length) formatFail(`${path}: chunk ${short(hash)} is used with ${prior.length} and ${length} bytes`);
        bytes.set(prior, at);
        continue;
      }
      const stored = await store.get(hash);
      if (stored === undefined) formatFail(`${path}: chunk ${short(hash)} is missing`);
      const raw = await unpackChunk(hash, stored, length);
      bytes.set(raw, at);
      seen.set(hash, bytes.subarray(at, at + length));
      done += length;
      if ((c & 63) === 63) progress?.(total ? done / total : 1);
    }
    const ctor = TYPED[ref.$bytes];
    place(new ctor(buffer, 0, ref.byteLength / ctor.BYTES_PER_ELEMENT));
  }
  progress?.(1);
}
