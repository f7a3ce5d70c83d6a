// Turns a capture into stored chunks and a manifest. Runs after the guest has resumed (hashing and
// compression take far longer than the pause), in the guest's worker or in Node.

import { storeChunks, treeToJson, type PendingArray } from "./byte-tree.ts";
import type { ChunkStore } from "./chunk-store.ts";
import { formatFail } from "./errors.ts";
import { CHUNK_SIZE, FORMAT_VERSION, MANIFEST_FORMAT } from "./format-limits.ts";
import type { MachineCapture } from "./machine-capture.ts";
import { checkVmDefinition, manifestId, type SnapshotManifest, type SnapshotMeta, type VmDefinition } from "./manifest.ts";

export async function writeSnapshot(
  capture: MachineCapture,
  vm: VmDefinition,
  meta: SnapshotMeta,
  store: ChunkStore,
  progress?: (phase: string, fraction: number) => void,
): Promise<SnapshotManifest> {
  const checkedVm = checkVmDefinition(vm, "VM definition");
  const ram = capture.state.fields.ram;
  if (!(ram instanceof Uint8Array)) formatFail("the captured state has no RAM");
  const pending: PendingArray[] = [];
  const config = treeToJson(capture.config, pending, "config");
  const state = treeToJson(capture.state, pending, "state");
  const thumbnail = treeToJson(meta.thumbnailPng, pending, "meta.thumbnail");
  progress?.("hashing and compressing", 0);
  await storeChunks(pending, store, (f) => progress?.("hashing and compressing", f));
  const chunks = new Set<string>();
  for (const p of pending) for (const h of p.ref.chunks) if (h !== null) chunks.add(h);
  const body: Omit<SnapshotManifest, "id"> = {
    format: MANIFEST_FORMAT,
    version: FORMAT_VERSION,
    meta: { name: meta.name, description: meta.description, takenAt: meta.takenAt, kind: meta.kind, parentId: meta.parentId, thumbnail },
    vm: checkedVm,
    ramBytes: ram.length,
    chunkSize: CHUNK_SIZE,
    config,
    state,
    chunks: [...chunks].sort(),
  };
  // Through JSON once, so the manifest is exactly what a reader sees (and its id is of that).
  const plain = JSON.parse(JSON.stringify(body)) as Omit<SnapshotManifest, "id">;
  const manifest = { ...plain, id: await manifestId(plain) } as SnapshotManifest;
  progress?.("hashing and compressing", 1);
  return manifest;
}
