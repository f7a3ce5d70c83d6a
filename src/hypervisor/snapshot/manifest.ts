// The snapshot manifest: plain JSON naming everything a snapshot holds (README.md, "Manifest").
// Its id is the SHA-256 of its own canonical JSON without the id, so any edit shows; checking a
// manifest validates every field and size before anything is allocated from it.

import { formatFail } from "./errors.ts";
import { isJsonObject, isObject, jsonToTree, newTreeReader, type TreeReader } from "./byte-tree.ts";
import { isChunkHash, sha256Hex } from "./chunk-codec.ts";
import { CHUNK_SIZE, FORMAT_VERSION, MANIFEST_FORMAT, MAX_ARRAY_BYTES, MAX_TEXT, MAX_TREE_DEPTH } from "./format-limits.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** Administrator's definition of the VM, JSON-only (the snapshot restores without the VM that made it). */
export interface VmDefinition {
  name: string;
  memoryMiB: number;
  share: number;
  capPercent: number;
  cardKinds: string[];
  guestLabel: string;
  guestId: string | null;
}

export interface SnapshotMeta {
  name: string;
  description: string;
  takenAt: number;
  kind: "snapshot" | "suspend";
  parentId: string | null;
  thumbnailPng: Uint8Array | null;
}

/** The meta as the manifest holds it: the thumbnail as a tree value (inline or chunked bytes). */
export type ManifestMeta = Omit<SnapshotMeta, "thumbnailPng"> & { thumbnail: JsonValue };

export interface SnapshotManifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  /** SHA-256 (hex) of the canonical JSON of this manifest without `id`. */
  id: string;
  meta: ManifestMeta;
  vm: VmDefinition;
  /** Guest RAM in bytes (the state's `ram` field). */
  ramBytes: number;
  chunkSize: number;
  /** MachineConfig and the machine's SavedState, with typed arrays as {$bytes}/{$typed} and
   *  non-JSON numbers as {$number} (byte-tree.ts). */
  config: JsonValue;
  state: JsonValue;
  /** Every chunk the trees reference, sorted, each once. */
  chunks: string[];
}

/** JSON with object keys sorted at every level: the text the id is the hash of. */
export function canonicalJson(v: JsonValue): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k]!)}`)
    .join(",")}}`;
}

export async function manifestId(m: Omit<SnapshotManifest, "id"> | SnapshotManifest): Promise<string> {
  const { id: _, ...rest } = m as SnapshotManifest;
  return sha256Hex(new TextEncoder().encode(canonicalJson(rest as unknown as JsonValue)));
}

/** The chunks a (checked) manifest needs: what the store must keep while the manifest exists. */
export function manifestChunks(manifest: SnapshotManifest): string[] {
  return [...manifest.chunks];
}

// ---- checking ----

function text(v: unknown, what: string, max = MAX_TEXT): string {
  if (typeof v !== "string") formatFail(`${what} must be a string, got ${typeof v}`);
  if (v.length > max) formatFail(`${what} is longer than ${max} characters`);
  return v;
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) formatFail(`${what} must be an integer ${min}..${max}, got ${String(v)}`);
  return v;
}

function keys(o: Record<string, unknown>, allowed: string[], what: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) formatFail(`${what} has an unknown field "${k}"`);
  for (const k of allowed) if (!Object.hasOwn(o, k)) formatFail(`${what} has no field "${k}"`);
}

export function checkVmDefinition(v: unknown, what = "manifest vm"): VmDefinition {
  if (!isObject(v)) formatFail(`${what} is not an object`);
  keys(v, ["name", "memoryMiB", "share", "capPercent", "cardKinds", "guestLabel", "guestId"], what);
  if (!Array.isArray(v.cardKinds) || v.cardKinds.length > 64) formatFail(`${what}.cardKinds must be a list of at most 64 names`);
  return {
    name: text(v.name, `${what}.name`, 256),
    memoryMiB: int(v.memoryMiB, `${what}.memoryMiB`, 1, 3584),
    share: int(v.share, `${what}.share`, 1, 1000),
    capPercent: int(v.capPercent, `${what}.capPercent`, 1, 100),
    cardKinds: v.cardKinds.map((k, i) => text(k, `${what}.cardKinds[${i}]`, 64)),
    guestLabel: text(v.guestLabel, `${what}.guestLabel`, 256),
    guestId: v.guestId === null ? null : text(v.guestId, `${what}.guestId`, 256),
  };
}

function checkMeta(v: unknown): ManifestMeta {
  if (!isObject(v)) formatFail("manifest meta is not an object");
  keys(v, ["name", "description", "takenAt", "kind", "parentId", "thumbnail"], "manifest meta");
  if (v.kind !== "snapshot" && v.kind !== "suspend") formatFail(`manifest meta.kind must be "snapshot" or "suspend", got ${JSON.stringify(v.kind)}`);
  if (v.parentId !== null && !isChunkHash(v.parentId)) formatFail("manifest meta.parentId must be null or a snapshot id");
  return {
    name: text(v.name, "manifest meta.name", 256),
    description: text(v.description, "manifest meta.description"),
    takenAt: int(v.takenAt, "manifest meta.takenAt", 0, 8.64e15),
    kind: v.kind,
    parentId: v.parentId,
    thumbnail: v.thumbnail as JsonValue,
  };
}

/** Plain JSON of bounded depth (a manifest from IndexedDB may hold anything). */
function checkJson(v: unknown, path: string, depth = 0): void {
  if (depth > MAX_TREE_DEPTH + 4) formatFail(`${path} is nested deeper than ${MAX_TREE_DEPTH}`);
  if (v === null || typeof v === "boolean" || typeof v === "string") return;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) formatFail(`${path} is not a finite number`);
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) checkJson(v[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (!isJsonObject(v)) formatFail(`${path} is not JSON`);
  for (const [k, x] of Object.entries(v)) checkJson(x, `${path}.${k}`, depth + 1);
}

export interface CheckedManifest {
  manifest: SnapshotManifest;
  /** The chunked arrays of the trees, still to be filled (byte-tree.ts fillArrays). */
  reader: TreeReader;
  /** The decoded trees; fillArrays puts the chunked arrays into them. */
  trees: { config: unknown; state: unknown; thumbnail: unknown };
}

/** Validates a manifest completely (format, version, fields, sizes, chunk list, id). */
export async function checkManifest(v: unknown): Promise<CheckedManifest> {
  if (!isObject(v)) formatFail("manifest is not an object");
  if (v.format !== MANIFEST_FORMAT) formatFail(`manifest format is ${JSON.stringify(v.format)}, expected "${MANIFEST_FORMAT}"`);
  checkVersion(v.version);
  checkJson(v, "manifest");
  keys(v, ["format", "version", "id", "meta", "vm", "ramBytes", "chunkSize", "config", "state", "chunks"], "manifest");
  if (!isChunkHash(v.id)) formatFail("manifest id is not a SHA-256 hex name");
  if (v.chunkSize !== CHUNK_SIZE) formatFail(`manifest chunkSize is ${String(v.chunkSize)}, this format uses ${CHUNK_SIZE}`);
  const meta = checkMeta(v.meta);
  const vm = checkVmDefinition(v.vm);
  const ramBytes = int(v.ramBytes, "manifest ramBytes", 1 << 20, MAX_ARRAY_BYTES);
  const chunks = v.chunks;
  if (!Array.isArray(chunks)) formatFail("manifest chunks is not a list");
  for (let i = 0; i < chunks.length; i++) {
    if (!isChunkHash(chunks[i])) formatFail(`manifest chunks[${i}] is not a SHA-256 hex name`);
    if (i > 0 && (chunks[i] as string) <= (chunks[i - 1] as string)) formatFail(`manifest chunks are not sorted and unique at ${i}`);
  }
  const reader = newTreeReader();
  const trees: CheckedManifest["trees"] = { config: null, state: null, thumbnail: null };
  trees.config = jsonToTree(v.config, reader, "config", 0, (x) => (trees.config = x));
  trees.state = jsonToTree(v.state, reader, "state", 0, (x) => (trees.state = x));
  trees.thumbnail = jsonToTree(meta.thumbnail, reader, "meta.thumbnail", 0, (x) => (trees.thumbnail = x));
  if (reader.hashes.size !== chunks.length || chunks.some((h) => !reader.hashes.has(h as string))) formatFail("manifest chunks do not list exactly the chunks its trees reference");
  const ram = reader.found.find((f) => f.path === "state.fields.ram");
  if (!ram || ram.ref.byteLength !== ramBytes) formatFail(`manifest ramBytes ${ramBytes} does not match the state's RAM (${ram ? ram.ref.byteLength : "absent"})`);
  const manifest = { ...(v as unknown as SnapshotManifest), meta, vm };
  if ((await manifestId(manifest)) !== v.id) formatFail(`manifest ${String(v.id).slice(0, 12)} does not match its content (edited or corrupted)`);
  return { manifest, reader, trees };
}

export function checkVersion(version: unknown, what = "snapshot format"): void {
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) formatFail(`${what} version ${String(version)} is not a positive whole number`);
  if (version > FORMAT_VERSION) formatFail(`${what} version ${version} is newer than this build supports (${FORMAT_VERSION})`);
}

