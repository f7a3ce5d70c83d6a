// One chunk: its name (SHA-256 of the raw bytes, lowercase hex) and its stored form, a codec byte
// followed by the bytes (raw, or deflate-raw when that is smaller). Unpacking is bounded: it never
// produces more than the size the manifest declares, and checks the hash of what it produced.

import { deflateSync, inflateSync } from "fflate";
import { formatFail } from "./errors.ts";
import { MAX_STORED_CHUNK } from "./format-limits.ts";

export const CODEC_RAW = 0;
export const CODEC_DEFLATE = 1;

/** fflate's level where CompressionStream is missing: 1 is several times faster than 6 and only a
 *  few percent larger on guest RAM (README.md, "Compression"). */
const FFLATE_LEVEL = 1;

const HASH_RE = /^[0-9a-f]{64}$/;

export function isChunkHash(v: unknown): v is string {
  return typeof v === "string" && HASH_RE.test(v);
}

/** Lowercase hex, two digits a byte. */
export function toHex(bytes: Uint8Array, separator = ""): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (i ? separator : "") + (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
  return s;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

let nativeDeflate = typeof CompressionStream === "function";

/** deflate-raw by the platform's own zlib (browsers, workers, Node): several times faster than
 *  fflate, and it runs off the calling thread where the platform can. */
async function deflateNative(raw: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  void writer.write(raw as Uint8Array<ArrayBuffer>);
  void writer.close();
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

async function deflate(raw: Uint8Array): Promise<Uint8Array> {
  if (nativeDeflate) {
    try {
      return await deflateNative(raw);
    } catch {
      nativeDeflate = false; // no "deflate-raw" here: fflate from now on
    }
  }
  return deflateSync(raw, { level: FFLATE_LEVEL });
}

/** The stored form of a raw chunk: deflated, or as it is when deflate does not make it smaller. */
export async function packChunk(raw: Uint8Array): Promise<Uint8Array> {
  const packed = await deflate(raw);
  if (packed.length < raw.length) {
    const out = new Uint8Array(packed.length + 1);
    out[0] = CODEC_DEFLATE;
    out.set(packed, 1);
    return out;
  }
  const out = new Uint8Array(raw.length + 1);
  out[0] = CODEC_RAW;
  out.set(raw, 1);
  return out;
}

/** The raw bytes of a stored chunk, which must be exactly `length` bytes whose SHA-256 is `hash`. */
export async function unpackChunk(hash: string, stored: Uint8Array, length: number): Promise<Uint8Array> {
  const raw = unpackBounded(hash, stored, length);
  if ((await sha256Hex(raw)) !== hash) formatFail(`chunk ${short(hash)} is corrupted: its bytes do not match its SHA-256`);
  return raw;
}

function unpackBounded(hash: string, stored: Uint8Array, length: number): Uint8Array {
  if (!(stored instanceof Uint8Array)) formatFail(`chunk ${short(hash)} is not bytes`);
  if (stored.length < 1 || stored.length > MAX_STORED_CHUNK) formatFail(`chunk ${short(hash)} is ${stored.length} bytes stored, expected 1..${MAX_STORED_CHUNK}`);
  const codec = stored[0];
  const body = stored.subarray(1);
  if (codec === CODEC_RAW) {
    if (body.length !== length) formatFail(`chunk ${short(hash)} holds ${body.length} bytes, expected ${length}`);
    return body;
  }
  if (codec !== CODEC_DEFLATE) formatFail(`chunk ${short(hash)} has unknown codec ${codec}`);
  // One byte of room more than allowed: a stream that fills it is too long (fflate writes into a
  // given buffer without growing it, so the output can never exceed length + 1).
  const out = new Uint8Array(length + 1);
  let got: Uint8Array;
  try {
    got = inflateSync(body, { out });
  } catch (e) {
    formatFail(`chunk ${short(hash)} does not decompress: ${(e as Error).message}`);
  }
  if (got.length !== length) formatFail(`chunk ${short(hash)} decompresses to ${got.length > length ? `more than ${length}` : got.length} bytes, expected ${length}`);
  return got.subarray(0, length);
}

/** The first 12 hex digits, enough to name a chunk in a message. */
export function short(hash: string): string {
  return hash.slice(0, 12);
}
