// The IndexedDB snapshot store (src/hypervisor/store/) on fake-indexeddb: records and chunks go in
// and come back, deleting a snapshot frees exactly the chunks nothing else uses, a quota error
// leaves every earlier record as it was and says how much space was needed, images are stored
// once, and disk overlays are kept per VM and disk.

import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { idbKeyValue, type KeyValueFactory } from "../../src/hypervisor/store/key-value.ts";
import { SnapshotStore, StorageError, type SnapshotRecord } from "../../src/hypervisor/store/snapshot-store.ts";
import type { SnapshotManifest } from "../../src/hypervisor/snapshot/index.ts";

let dbCount = 0;
/** A store in databases of its own (each test starts empty). */
function freshFactory(): KeyValueFactory {
  return idbKeyValue(`store-test-${++dbCount}`);
}

const bytes = (fill: number, n = 100) => new Uint8Array(n).fill(fill);

/** A record whose manifest references `chunks` (the store only asks a manifest for its chunks). */
function record(vmId: string, id: string, chunks: string[], parentId: string | null = null): SnapshotRecord {
  return {
    id,
    vmId,
    name: `snap ${id}`,
    description: "",
    takenAt: dbCount * 1000 + id.charCodeAt(0),
    parentId,
    kind: "snapshot",
    thumbnailPng: null,
    ramBytes: 1 << 20,
    manifest: { id, chunks } as unknown as SnapshotManifest,
  };
}

async function putWithChunks(store: SnapshotStore, r: SnapshotRecord, chunkBytes: Record<string, Uint8Array>): Promise<void> {
  const staged = await store.stage();
  for (const [h, b] of Object.entries(chunkBytes)) if (!(await staged.has(h))) await staged.put(h, b);
  await store.putSnapshot(r, staged);
}

describe("snapshot store (IndexedDB through idb-keyval, on fake-indexeddb)", () => {
  it("stores snapshots with their chunks and reads them back", async () => {
    const store = new SnapshotStore(freshFactory());
    await putWithChunks(store, record("vm1", "a", ["h1", "h2"]), { h1: bytes(1), h2: bytes(2, 50) });
    const list = await store.snapshots("vm1");
    expect(list.map((r) => r.id)).toEqual(["a"]);
    expect(await store.chunks.get("h2")).toEqual(bytes(2, 50));
    expect(await store.snapshots("vm2")).toEqual([]);
    expect(await store.usage()).toEqual({ chunkBytes: 150, chunkCount: 2 });
  });

  it("refuses a snapshot whose manifest needs a chunk that is neither new nor stored", async () => {
    const store = new SnapshotStore(freshFactory());
    await expect(putWithChunks(store, record("vm1", "a", ["h1", "missing"]), { h1: bytes(1) })).rejects.toThrow(/neither new nor stored \(first missing\)/);
    expect(await store.snapshots()).toEqual([]);
  });

  it("deleting a snapshot frees the chunks no other snapshot uses, keeps the shared ones, and counts shared chunks once", async () => {
    const store = new SnapshotStore(freshFactory());
    await putWithChunks(store, record("vm1", "a", ["h1", "h2"]), { h1: bytes(1), h2: bytes(2) });
    await putWithChunks(store, record("vm1", "b", ["h2", "h3"], "a"), { h3: bytes(3) });
    const sizes = await store.storedBytes(await store.snapshots("vm1"));
    expect(sizes.get("a")).toBe(200);
    expect(sizes.get("b")).toBe(100); // h2 is counted in the older snapshot
    await store.reparent("vm1", "a", null);
    const freed = await store.deleteSnapshot("vm1", "a");
    expect(freed).toEqual({ freedChunks: 1, freedBytes: 100 });
    expect(await store.chunks.has("h1")).toBe(false);
    expect(await store.chunks.has("h2")).toBe(true);
    expect(await store.chunks.has("h3")).toBe(true);
    expect((await store.snapshots("vm1")).map((r) => [r.id, r.parentId])).toEqual([["b", null]]);
  });

  it("a quota error while storing leaves every earlier snapshot and chunk as it was, and says how much space was needed", async () => {
    const base = freshFactory();
    let full = false;
    const quotaFactory: KeyValueFactory = <V>(name: string) => {
      const kv = base<V>(name);
      if (name !== "snapshots") return kv;
      return {
        ...kv,
        setMany: (entries: [string, V][]) => (full ? Promise.reject(new DOMException("The quota has been exceeded.", "QuotaExceededError")) : kv.setMany(entries)),
      };
    };
    const store = new SnapshotStore(quotaFactory);
    await putWithChunks(store, record("vm1", "a", ["h1"]), { h1: bytes(1) });
    full = true;
    const err = await putWithChunks(store, record("vm1", "b", ["h1", "h4"]), { h4: bytes(4, 3000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toMatch(/^storage is full: snapshot "snap b" needed 2\.9 KiB more/);
    expect((err as Error).message).toMatch(/Nothing stored earlier was changed/);
    expect((await store.snapshots()).map((r) => r.id)).toEqual(["a"]);
    expect(await store.chunks.get("h1")).toEqual(bytes(1));
    // The new chunk written before the record failed is not left behind.
    expect(await store.chunks.has("h4")).toBe(false);
    expect(await store.usage()).toEqual({ chunkBytes: 100, chunkCount: 1 });
  });

  it("stores an uploaded image once, by content, and frees it with the last VM that uses it", async () => {
    const store = new SnapshotStore(freshFactory());
    const image = new Uint8Array((1 << 20) + 512);
    for (let i = 0; i < image.length; i += 4096) image[i] = (i >> 20) + 1; // two different pieces
    const a = await store.putImage(image, "a.img");
    const b = await store.putImage(image, "b.img");
    expect(b).toEqual(a);
    expect(a.pieces).toHaveLength(2);
    // (Buffer.equals: a deep toEqual walks a megabyte element by element.)
    expect(Buffer.from(await store.image(a)).equals(image)).toBe(true);
    const def = { id: "vm1", order: 1, name: "up", guest: { kind: "upload" as const, fileName: "a.img", media: "disk" as const, image: a }, memoryMiB: 16, share: 100, capPercent: 100, cardKinds: [], createdAt: 1, currentId: null, suspendId: null };
    await store.putVm(def);
    expect((await store.vms()).map((v) => v.id)).toEqual(["vm1"]);
    expect((await store.usage()).chunkBytes).toBe(image.length);
    await store.deleteVm("vm1");
    expect(await store.vms()).toEqual([]);
    await expect(store.image(a)).rejects.toThrow(/piece .* is missing/);
  });

  it("keeps disk overlays per VM and disk: later writes add chunks, a replace starts over", async () => {
    const store = new SnapshotStore(freshFactory());
    const disk = 4 * 0x10000;
    const chunk = (fill: number) => bytes(fill, 0x10000);
    await store.writeOverlay("vm1", { disk: "ide0-master", length: disk, chunks: Uint32Array.of(2), data: chunk(2) }, false);
    await store.writeOverlay("vm1", { disk: "ide0-master", length: disk, chunks: Uint32Array.of(0, 2), data: new Uint8Array([...chunk(1), ...chunk(9)]) }, false);
    await store.writeOverlay("vm2", { disk: "ide0-master", length: disk, chunks: Uint32Array.of(3), data: chunk(7) }, false);
    const [o] = await store.overlays("vm1");
    expect(o.disk).toBe("ide0-master");
    expect([...o.chunks]).toEqual([0, 2]);
    expect(o.data[0]).toBe(1);
    expect(o.data[0x10000]).toBe(9);
    await store.writeOverlay("vm1", { disk: "ide0-master", length: disk, chunks: Uint32Array.of(1), data: chunk(5) }, true);
    expect([...(await store.overlays("vm1"))[0].chunks]).toEqual([1]);
    expect([...(await store.overlays("vm2"))[0].chunks]).toEqual([3]);
    await expect(store.writeOverlay("vm1", { disk: "ide0-master", length: disk, chunks: Uint32Array.of(9), data: chunk(1) }, false)).rejects.toThrow(/chunk 9 is out of range/);
  });
});
