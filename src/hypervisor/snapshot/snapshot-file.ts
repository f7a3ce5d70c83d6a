// One self-describing file holding snapshots: the magic, the format version, the manifests as JSON
// and the stored chunks they reference (README.md, "File"). Decoding checks every byte's place,
// every manifest and every chunk before it returns anything.

import { MemoryChunkStore, type ChunkStore } from "./chunk-store.ts";
import { short, toHex, unpackChunk } from "./chunk-codec.ts";
import { formatFail, SnapshotFormatError } from "./errors.ts";
import { CHUNK_SIZE, FORMAT_VERSION, MAX_MANIFESTS, MAX_MANIFEST_JSON_BYTES, MAX_STORED_CHUNK } from "./format-limits.ts";
import { checkManifest, checkVersion, type SnapshotManifest } from "./manifest.ts";

/** "\x89HTSNAP\n": a high byte first (not text), the name, a newline (catches text-mode mangling). */
export const FILE_MAGIC = Uint8Array.of(0x89, 0x48, 0x54, 0x53, 0x4e, 0x41, 0x50, 0x0a);
const HASH_BYTES = 32;

function bytesOfHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** One self-describing file (magic, format version, manifests, the chunks they reference). */
export async function encodeSnapshotFile(manifests: SnapshotManifest[], store: ChunkStore): Promise<Uint8Array> {
  const json = new TextEncoder().encode(JSON.stringify({ manifests }));
  const hashes = [...new Set(manifests.flatMap((m) => m.chunks))].sort();
  const chunks: Uint8Array[] = [];
  for (const h of hashes) {
    const stored = await store.get(h);
    if (!stored) formatFail(`cannot export: chunk ${short(h)} is missing from the store`);
    chunks.push(stored);
  }
  const size = FILE_MAGIC.length + 4 + 4 + json.length + 4 + chunks.reduce((n, c) => n + HASH_BYTES + 4 + c.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  out.set(FILE_MAGIC, at);
  at += FILE_MAGIC.length;
  view.setUint32(at, FORMAT_VERSION, true);
  view.setUint32(at + 4, json.length, true);
  at += 8;
  out.set(json, at);
  at += json.length;
  view.setUint32(at, chunks.length, true);
  at += 4;
  for (let i = 0; i < chunks.length; i++) {
    out.set(bytesOfHex(hashes[i]!), at);
    view.setUint32(at + HASH_BYTES, chunks[i]!.length, true);
    out.set(chunks[i]!, at + HASH_BYTES + 4);
    at += HASH_BYTES + 4 + chunks[i]!.length;
  }
  return out;
}

/** Reads a file front to back; every read checks the file is long enough. */
class Cursor {
  at = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.at + n > this.bytes.length) formatFail(`snapshot file is truncated: ${what} at byte ${this.at} needs ${n} bytes, the file ends at ${this.bytes.length}`);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

/** Refuses a truncated, corrupted, foreign or newer-version file with a message naming the problem. */
export async function decodeSnapshotFile(bytes: Uint8Array): Promise<{ manifests: SnapshotManifest[]; chunks: MemoryChunkStore }> {
  if (!(bytes instanceof Uint8Array)) formatFail("a snapshot file must be bytes");
  if (bytes.length === 0) formatFail("not a Hypertab snapshot file (it is empty)");
  const head = bytes.subarray(0, FILE_MAGIC.length);
  // A file shorter than the magic but starting like it is reported as truncated below.
  if (!head.every((b, i) => b === FILE_MAGIC[i])) {
    formatFail(`not a Hypertab snapshot file (it starts with ${toHex(head, " ")})`);
  }
  const c = new Cursor(bytes);
  c.take(FILE_MAGIC.length, "the magic");
  checkVersion(c.u32("the format version"));
  const jsonLength = c.u32("the manifest length");
  if (jsonLength > MAX_MANIFEST_JSON_BYTES) formatFail(`snapshot file declares ${jsonLength} bytes of manifests, at most ${MAX_MANIFEST_JSON_BYTES} allowed`);
  const jsonBytes = c.take(jsonLength, "the manifests");
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(jsonBytes));
  } catch (e) {
    throw new SnapshotFormatError(`snapshot file manifests are not JSON: ${(e as Error).message}`);
  }
  const list = (doc as { manifests?: unknown } | null)?.manifests;
  if (typeof doc !== "object" || doc === null || Object.keys(doc).length !== 1 || !Array.isArray(list)) formatFail("snapshot file manifests must be {\"manifests\": [...]}");
  if (list.length === 0 || list.length > MAX_MANIFESTS) formatFail(`snapshot file holds ${list.length} manifests, expected 1..${MAX_MANIFESTS}`);

  // Every manifest checked; the raw size of each chunk follows from where the manifests use it.
  const manifests: SnapshotManifest[] = [];
  const lengths = new Map<string, number>();
  for (let i = 0; i < list.length; i++) {
    const checked = await checkManifest(list[i]).catch((e: unknown) => {
      if (e instanceof SnapshotFormatError) e.message = `manifest ${i + 1} of ${list.length}: ${e.message}`;
      throw e;
    });
    if (manifests.some((m) => m.id === checked.manifest.id)) formatFail(`manifest ${short(checked.manifest.id)} appears twice`);
    manifests.push(checked.manifest);
    for (const { ref, path } of checked.reader.found) {
      ref.chunks.forEach((h, n) => {
        if (h === null) return;
        const length = Math.min(CHUNK_SIZE, ref.byteLength - n * CHUNK_SIZE);
        const prior = lengths.get(h);
        if (prior !== undefined && prior !== length) formatFail(`${path}: chunk ${short(h)} is used with ${prior} and ${length} bytes`);
        lengths.set(h, length);
      });
    }
  }

  const count = c.u32("the chunk count");
  if (count !== lengths.size) formatFail(`snapshot file holds ${count} chunks, its manifests reference ${lengths.size}`);
  const chunks = new MemoryChunkStore();
  for (let i = 0; i < count; i++) {
    const hash = toHex(c.take(HASH_BYTES, `chunk ${i + 1} of ${count}`));
    const size = c.u32(`chunk ${short(hash)}'s length`);
    if (size < 1 || size > MAX_STORED_CHUNK) formatFail(`chunk ${short(hash)} declares ${size} stored bytes, expected 1..${MAX_STORED_CHUNK}`);
    const stored = c.take(size, `chunk ${short(hash)}`);
    const length = lengths.get(hash);
    if (length === undefined) formatFail(`snapshot file holds chunk ${short(hash)} that no manifest references`);
    if (chunks.chunks.has(hash)) formatFail(`snapshot file holds chunk ${short(hash)} twice`);
    await unpackChunk(hash, stored, length);
    await chunks.put(hash, stored.slice());
  }
  if (c.at !== bytes.length) formatFail(`snapshot file has ${bytes.length - c.at} bytes after its last chunk`);
  return { manifests, chunks };
}
