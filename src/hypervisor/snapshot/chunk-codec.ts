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

/** Whether the platform's streams do "deflate-raw" (Chromium 103+, Firefox 113+, Safari 16.4+,
 *  Node 21.2+/20.12+); fflate does the work where they do not. */
function supportsDeflateRaw(stream: typeof CompressionStream | typeof DecompressionStream | undefined): boolean {
  try {
    return stream !== undefined && new stream("deflate-raw") !== null;
  } catch {
    return false;
  }
}
const nativeDeflate = supportsDeflateRaw(globalThis.CompressionStream);
const nativeInflate = supportsDeflateRaw(globalThis.DecompressionStream);

/** deflate-raw by the platform's own zlib (browsers, workers, Node): several times faster than
 *  fflate, and it runs off the calling thread where the platform can. */
async function deflateNative(raw: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  writer.write(raw as Uint8Array<ArrayBuffer>).catch(() => {}); // a failure shows on the readable side
  writer.close().catch(() => {});
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

async function deflate(raw: Uint8Array): Promise<Uint8Array> {
  return nativeDeflate ? deflateNative(raw) : deflateSync(raw, { level: FFLATE_LEVEL });
}

/** Why a body does not inflate to `length` bytes, or its bytes. Native: read piece by piece and
 *  given up as soon as the output would pass `length`. */
export async function inflateNative(body: Uint8Array, length: number): Promise<Uint8Array | string> {
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  writer.write(body as Uint8Array<ArrayBuffer>).catch(() => {}); // a failure shows on the readable side
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const out = new Uint8Array(length);
  let at = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.length > length) {
        void reader.cancel().catch(() => {});
        return `decompresses to more than ${length} bytes, expected ${length}`;
      }
      out.set(value, at);
      at += value.length;
    }
  } catch (e) {
    return `does not decompress: ${(e as Error).message}`;
  }
  return at === length ? out : `decompresses to ${at} bytes, expected ${length}`;
}

/** fflate into a buffer of one byte more than allowed: fflate writes into a given buffer without
 *  growing it, so a stream that fills the extra byte is too long. */
export function inflateFflate(body: Uint8Array, length: number): Uint8Array | string {
  let got: Uint8Array;
  try {
    got = inflateSync(body, { out: new Uint8Array(length + 1) });
  } catch (e) {
    return `does not decompress: ${(e as Error).message}`;
  }
  if (got.length !== length) return `decompresses to ${got.length > length ? `more than ${length}` : got.length} bytes, expected ${length}`;
  return got.subarray(0, length);
}

async function inflate(body: Uint8Array, length: number): Promise<Uint8Array | string> {
  return nativeInflate ? inflateNative(body, length) : inflateFflate(body, length);
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
  if (!(stored instanceof Uint8Array)) formatFail(`chunk ${short(hash)} is not bytes`);
  if (stored.length < 1 || stored.length > MAX_STORED_CHUNK) formatFail(`chunk ${short(hash)} is ${stored.length} bytes stored, expected 1..${MAX_STORED_CHUNK}`);
  const codec = stored[0];
  const body = stored.subarray(1);
  let raw: Uint8Array | string;
  if (codec === CODEC_RAW) raw = body.length === length ? body : `holds ${body.length} bytes, expected ${length}`;
  else if (codec === CODEC_DEFLATE) raw = await inflate(body, length);
  else raw = `has unknown codec ${codec}`;
  if (typeof raw === "string") formatFail(`chunk ${short(hash)} ${raw}`);
  if ((await sha256Hex(raw)) !== hash) formatFail(`chunk ${short(hash)} is corrupted: its bytes do not match its SHA-256`);
  return raw;
}

/** The first 12 hex digits, enough to name a chunk in a message. */
export function short(hash: string): string {
  return hash.slice(0, 12);
}
