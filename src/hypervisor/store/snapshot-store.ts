// Hypertab's durable state in IndexedDB (issue 10): content-addressed snapshot chunks, snapshot
// manifests (each VM's tree), VM definitions, uploaded images (stored once, by content hash) and the
// writable disks' overlays. An operation's new chunks are staged in memory and committed together
// with its manifest, so a failed write (quota) leaves every earlier record as it was; chunks no
// manifest, VM definition or disk overlay references any more are collected after each delete.

import { manifestChunks, type ChunkStore, type SnapshotManifest } from "../snapshot/index.ts";
import type { MediaKind } from "../guest-catalog.ts";
import type { SnapshotInfo } from "../snapshot-api.ts";
import { idbKeyValue, type KeyValueFactory, type KeyValueStore } from "./key-value.ts";

export class StorageError extends Error {
  override name = "StorageError";
}

/** One stored snapshot (or suspended state) of a VM: what the dashboard lists (but its stored
 *  size, which depends on the other snapshots) and the manifest (manifest.id is its id). */
export type SnapshotRecord = Omit<SnapshotInfo, "storedBytes"> & { manifest: SnapshotManifest };

/** An uploaded image, stored once as pieces named by their SHA-256. */
export interface StoredImage {
  /** SHA-256 of the whole image. */
  hash: string;
  size: number;
  pieces: string[];
}

export type StoredGuest =
  | { kind: "catalog"; guestId: string }
  | { kind: "upload"; fileName: string; media: MediaKind; image: StoredImage }
  /** Known only from a snapshot (an import): it resumes, it does not boot. */
  | { kind: "snapshot"; label: string; guestId: string | null };

/** What the hypervisor needs to list a VM again after a reload. */
export interface VmDefinitionRecord {
  id: string;
  /** Listing order (creation order). */
  order: number;
  name: string;
  guest: StoredGuest;
  memoryMiB: number;
  share: number;
  capPercent: number;
  cardKinds: string[];
  dataDiskMiB?: number;
  createdAt: number;
  /** "You are here": the snapshot the VM's state descends from. */
  currentId: string | null;
  /** Its suspended state, while it is suspended. */
  suspendId: string | null;
}

/** A disk's stored overlay: chunk numbers and their bytes back to back (DiskImageStore's layout). */
export interface StoredOverlay {
  disk: string;
  length: number;
  chunks: Uint32Array;
  data: Uint8Array;
}

interface OverlayChunk {
  length: number;
  bytes: Uint8Array;
}

const IMAGE_PIECE = 1 << 20;

/** Chunks one operation writes, held until the operation commits them with its manifest. */
export class StagedChunks implements ChunkStore {
  readonly pending = new Map<string, Uint8Array>();

  /** `stored`: the names of the chunks stored when the operation began (has() reads no chunk). */
  constructor(
    private readonly base: ChunkStore,
    private readonly stored: ReadonlySet<string>,
  ) {}

  async has(hash: string): Promise<boolean> {
    return this.pending.has(hash) || this.stored.has(hash);
  }

  async get(hash: string): Promise<Uint8Array | undefined> {
    return this.pending.get(hash) ?? this.base.get(hash);
  }

  async put(hash: string, stored: Uint8Array): Promise<void> {
    this.pending.set(hash, stored);
  }

  get pendingBytes(): number {
    let n = 0;
    for (const b of this.pending.values()) n += b.length;
    return n;
  }
}

export async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  let s = "";
  for (const b of d) s += b.toString(16).padStart(2, "0");
  return s;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** A write error, said the way a user reads it: what failed, and how much space it needed. */
function storageError(what: string, neededBytes: number, e: unknown): StorageError {
  const name = e instanceof Error || (typeof DOMException !== "undefined" && e instanceof DOMException) ? (e as Error).name : "";
  const detail = e instanceof Error || (typeof DOMException !== "undefined" && e instanceof DOMException) ? (e as Error).message : String(e);
  const full = name === "QuotaExceededError" || /quota/i.test(detail);
  return new StorageError(
    full
      ? `storage is full: ${what} needed ${formatBytes(neededBytes)} more than the browser allows this site (${detail}); delete snapshots or VMs to make room. Nothing stored earlier was changed.`
      : `could not store ${what} (${formatBytes(neededBytes)}): ${name ? `${name}: ` : ""}${detail}. Nothing stored earlier was changed.`,
  );
}

const snapshotKey = (vmId: string, id: string) => `${vmId}/${id}`;
const overlayPrefix = (vmId: string, disk: string) => `${vmId}/${disk}/`;

export class SnapshotStore {
  private readonly chunkKv: KeyValueStore<Uint8Array>;
  private readonly sizeKv: KeyValueStore<number>;
  private readonly snapshotKv: KeyValueStore<SnapshotRecord>;
  private readonly vmKv: KeyValueStore<VmDefinitionRecord>;
  private readonly imageKv: KeyValueStore<Uint8Array>;
  private readonly overlayKv: KeyValueStore<OverlayChunk>;
  /** Reads of committed chunks (writes go through stage()). */
  readonly chunks: ChunkStore;
  /** Commits and collections run one at a time, so a collection never sees half an operation. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(kv: KeyValueFactory = idbKeyValue("hypertab")) {
    this.chunkKv = kv("chunks");
    this.sizeKv = kv("chunk-sizes");
    this.snapshotKv = kv("snapshots");
    this.vmKv = kv("vms");
    this.imageKv = kv("images");
    this.overlayKv = kv("disk-overlays");
    const chunkKv = this.chunkKv;
    this.chunks = {
      has: async (hash) => (await chunkKv.get(hash)) !== undefined,
      get: (hash) => chunkKv.get(hash),
      put: () => Promise.reject(new StorageError("chunks are written through a staged operation")),
    };
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A chunk store for one operation: reads see committed chunks, writes wait for commit (which
   *  refuses the operation if a chunk it found stored was freed meanwhile). */
  async stage(): Promise<StagedChunks> {
    return new StagedChunks(this.chunks, new Set(await this.chunkKv.keys()));
  }

  /** Stores a snapshot's new chunks, then its record. Refused (nothing changes) when a chunk the
   *  manifest needs is neither staged nor stored. */
  putSnapshot(record: SnapshotRecord, staged: StagedChunks): Promise<void> {
    return this.serial(async () => {
      const needed = manifestChunks(record.manifest);
      const stored = new Set(await this.chunkKv.keys());
      const missing = needed.filter((h) => !staged.pending.has(h) && !stored.has(h));
      if (missing.length) throw new StorageError(`snapshot "${record.name}": ${missing.length} of its chunks are neither new nor stored (first ${missing[0]})`);
      const fresh = needed.filter((h) => !stored.has(h) && staged.pending.has(h));
      const unique = [...new Set(fresh)];
      const bytes = unique.reduce((n, h) => n + staged.pending.get(h)!.length, 0);
      const what = `snapshot "${record.name}"`;
      try {
        await this.chunkKv.setMany(unique.map((h) => [h, staged.pending.get(h)!]));
        await this.sizeKv.setMany(unique.map((h) => [h, staged.pending.get(h)!.length]));
        await this.snapshotKv.setMany([[snapshotKey(record.vmId, record.id), record]]);
      } catch (e) {
        // Chunks that made it in without their manifest are unreferenced: collect them.
        await this.collect().catch(() => undefined);
        throw storageError(what, bytes, e);
      }
    });
  }

  async snapshots(vmId?: string): Promise<SnapshotRecord[]> {
    const all = (await this.snapshotKv.entries()).map(([, r]) => r);
    return all.filter((r) => vmId === undefined || r.vmId === vmId).sort((a, b) => a.takenAt - b.takenAt);
  }

  snapshot(vmId: string, id: string): Promise<SnapshotRecord | undefined> {
    return this.snapshotKv.get(snapshotKey(vmId, id));
  }

  /** Deletes a snapshot record and frees the chunks nothing else uses. */
  deleteSnapshot(vmId: string, id: string): Promise<{ freedChunks: number; freedBytes: number }> {
    return this.serial(async () => {
      await this.snapshotKv.del(snapshotKey(vmId, id));
      return this.collect();
    });
  }

  /** Points the snapshots taken after `from` at `to` (before `from` is deleted: the tree stays whole). */
  reparent(vmId: string, from: string, to: string | null): Promise<void> {
    return this.serial(async () => {
      const children = (await this.snapshots(vmId)).filter((r) => r.parentId === from);
      await this.snapshotKv.setMany(children.map((r) => [snapshotKey(vmId, r.id), { ...r, parentId: to }]));
    });
  }

  /** What each snapshot takes in storage: chunks shared with others are counted in the oldest. */
  async storedBytes(records: SnapshotRecord[]): Promise<Map<string, number>> {
    const sizes = new Map(await this.sizeKv.entries());
    const seen = new Set<string>();
    const out = new Map<string, number>();
    for (const r of [...(await this.snapshots())]) {
      let n = 0;
      for (const h of manifestChunks(r.manifest)) {
        if (seen.has(h)) continue;
        seen.add(h);
        n += sizes.get(h) ?? 0;
      }
      out.set(snapshotKey(r.vmId, r.id), n);
    }
    return new Map(records.map((r) => [r.id, out.get(snapshotKey(r.vmId, r.id)) ?? 0]));
  }

  putVm(def: VmDefinitionRecord): Promise<void> {
    return this.serial(async () => {
      try {
        await this.vmKv.setMany([[def.id, def]]);
      } catch (e) {
        throw storageError(`VM "${def.name}"`, JSON.stringify(def).length, e);
      }
    });
  }

  async vms(): Promise<VmDefinitionRecord[]> {
    return (await this.vmKv.entries()).map(([, v]) => v).sort((a, b) => a.order - b.order);
  }

  /** Deletes a VM's definition, snapshots and disk overlays, and frees what they alone used. */
  deleteVm(vmId: string): Promise<void> {
    return this.serial(async () => {
      await this.vmKv.del(vmId);
      await this.snapshotKv.delMany((await this.snapshotKv.keys()).filter((k) => k.startsWith(`${vmId}/`)));
      await this.overlayKv.delMany((await this.overlayKv.keys()).filter((k) => k.startsWith(`${vmId}/`)));
      await this.collect(true);
    });
  }

  /** Stores an uploaded image once (pieces named by content; a second upload adds nothing). */
  putImage(bytes: Uint8Array, fileName: string): Promise<StoredImage> {
    return this.serial(async () => {
      const pieces: string[] = [];
      const fresh: [string, Uint8Array][] = [];
      const stored = new Set(await this.imageKv.keys());
      for (let at = 0; at < bytes.length; at += IMAGE_PIECE) {
        const piece = bytes.slice(at, Math.min(bytes.length, at + IMAGE_PIECE));
        const h = await sha256(piece);
        pieces.push(h);
        if (!stored.has(h)) {
          stored.add(h);
          fresh.push([h, piece]);
        }
      }
      try {
        await this.imageKv.setMany(fresh);
      } catch (e) {
        throw storageError(`image "${fileName}"`, fresh.reduce((n, [, b]) => n + b.length, 0), e);
      }
      return { hash: await sha256(bytes), size: bytes.length, pieces };
    });
  }

  async image(image: StoredImage): Promise<Uint8Array> {
    const out = new Uint8Array(image.size);
    let at = 0;
    for (const h of image.pieces) {
      const piece = await this.imageKv.get(h);
      if (!piece) throw new StorageError(`stored image ${image.hash.slice(0, 12)}: piece ${h.slice(0, 12)} is missing`);
      if (at + piece.length > out.length) throw new StorageError(`stored image ${image.hash.slice(0, 12)}: pieces exceed its ${image.size} bytes`);
      out.set(piece, at);
      at += piece.length;
    }
    if (at !== image.size) throw new StorageError(`stored image ${image.hash.slice(0, 12)}: pieces hold ${at} of its ${image.size} bytes`);
    return out;
  }

  /** Stores overlay chunks a guest wrote to `disk`; `replace` drops the disk's earlier ones first. */
  writeOverlay(vmId: string, overlay: StoredOverlay, replace: boolean): Promise<void> {
    return this.serial(async () => {
      const prefix = overlayPrefix(vmId, overlay.disk);
      if (replace) await this.overlayKv.delMany((await this.overlayKv.keys()).filter((k) => k.startsWith(prefix)));
      const list: [string, OverlayChunk][] = [];
      let at = 0;
      for (const k of overlay.chunks) {
        const size = Math.min(0x10000, overlay.length - k * 0x10000);
        if (size <= 0 || at + size > overlay.data.length) throw new StorageError(`disk ${overlay.disk}: overlay chunk ${k} is out of range`);
        list.push([`${prefix}${k}`, { length: overlay.length, bytes: overlay.data.slice(at, at + size) }]);
        at += size;
      }
      try {
        await this.overlayKv.setMany(list);
      } catch (e) {
        throw storageError(`the writes to disk ${overlay.disk}`, overlay.data.length, e);
      }
    });
  }

  /** The stored overlays of a VM's disks. */
  async overlays(vmId: string): Promise<StoredOverlay[]> {
    const byDisk = new Map<string, { length: number; chunks: [number, Uint8Array][] }>();
    for (const [key, v] of await this.overlayKv.entries()) {
      if (!key.startsWith(`${vmId}/`)) continue;
      const [, disk, index] = key.split("/");
      let d = byDisk.get(disk);
      if (!d) byDisk.set(disk, (d = { length: v.length, chunks: [] }));
      d.chunks.push([Number(index), v.bytes]);
    }
    return [...byDisk].map(([disk, d]) => {
      d.chunks.sort((a, b) => a[0] - b[0]);
      const data = new Uint8Array(d.chunks.reduce((n, [, b]) => n + b.length, 0));
      let at = 0;
      for (const [, b] of d.chunks) {
        data.set(b, at);
        at += b.length;
      }
      return { disk, length: d.length, chunks: Uint32Array.from(d.chunks.map(([k]) => k)), data };
    });
  }

  /** Chunk and image bytes stored, and how many chunks. */
  async usage(): Promise<{ chunkBytes: number; chunkCount: number }> {
    const sizes = await this.sizeKv.entries();
    let bytes = sizes.reduce((n, [, s]) => n + s, 0);
    // Image pieces by their images (reading the pieces would copy every image out of IndexedDB).
    const pieces = new Map<string, number>();
    for (const v of await this.vms()) {
      if (v.guest.kind !== "upload") continue;
      const { pieces: list, size } = v.guest.image;
      list.forEach((h, i) => pieces.set(h, Math.min(IMAGE_PIECE, size - i * IMAGE_PIECE)));
    }
    for (const n of pieces.values()) bytes += n;
    for (const [, o] of await this.overlayKv.entries()) bytes += o.bytes.length;
    return { chunkBytes: bytes, chunkCount: sizes.length };
  }

  /** Frees chunks no snapshot references and, with `images`, image pieces no VM references
   *  (queued callers only; images only when a VM was deleted, since an upload stores its image
   *  before its VM). */
  private async collect(images = false): Promise<{ freedChunks: number; freedBytes: number }> {
    const live = new Set<string>();
    for (const [, r] of await this.snapshotKv.entries()) for (const h of manifestChunks(r.manifest)) live.add(h);
    const sizes = new Map(await this.sizeKv.entries());
    const dead = (await this.chunkKv.keys()).filter((h) => !live.has(h));
    const freedBytes = dead.reduce((n, h) => n + (sizes.get(h) ?? 0), 0);
    await this.chunkKv.delMany(dead);
    await this.sizeKv.delMany([...sizes.keys()].filter((h) => !live.has(h)));
    if (!images) return { freedChunks: dead.length, freedBytes };
    const pieces = new Set<string>();
    for (const [, v] of await this.vmKv.entries()) if (v.guest.kind === "upload") for (const p of v.guest.image.pieces) pieces.add(p);
    await this.imageKv.delMany((await this.imageKv.keys()).filter((h) => !pieces.has(h)));
    return { freedChunks: dead.length, freedBytes };
  }
}
