// Checks a manifest and every chunk it names and rebuilds the capture. Nothing is returned (and so
// nothing can be applied) until all of it has been verified.

import type { MachineConfig } from "../../emulator/machine-config.ts";
import { validateMachineConfig } from "../../emulator/machine-config-validate.ts";
import type { SavedState } from "../../emulator/state.ts";
import { fillArrays, isObject } from "./byte-tree.ts";
import type { ChunkStore } from "./chunk-store.ts";
import { formatFail } from "./errors.ts";
import type { MachineCapture } from "./machine-capture.ts";
import { checkManifest, type SnapshotManifest, type SnapshotMeta, type VmDefinition } from "./manifest.ts";

export interface ReadSnapshot {
  capture: MachineCapture;
  vm: VmDefinition;
  meta: SnapshotMeta;
  manifest: SnapshotManifest;
}

/** Validates the manifest, every chunk (present, hash matches, decompresses within bounds) and
 *  rebuilds the capture; throws SnapshotFormatError before anything is returned. */
export async function readSnapshot(manifest: unknown, store: ChunkStore, progress?: (phase: string, fraction: number) => void): Promise<ReadSnapshot> {
  const checked = await checkManifest(manifest);
  progress?.("reading chunks", 0);
  await fillArrays(checked.reader, store, (f) => progress?.("reading chunks", f));
  const { config, state, thumbnail } = checked.trees;
  if (!isObject(config)) formatFail("config is not an object");
  try {
    validateMachineConfig(config as unknown as MachineConfig);
  } catch (e) {
    formatFail(`config is not a valid machine: ${(e as Error).message}`);
  }
  if (!isObject(state) || typeof state.type !== "string" || typeof state.version !== "number" || !isObject(state.fields)) formatFail("state is not a saved machine state");
  if (thumbnail !== null && !(thumbnail instanceof Uint8Array)) formatFail("meta.thumbnail is neither bytes nor null");
  const m = checked.manifest;
  const { thumbnail: _, ...rest } = m.meta;
  const meta: SnapshotMeta = { ...rest, thumbnailPng: thumbnail };
  return { capture: { config: config as unknown as MachineConfig, state: state as unknown as SavedState }, vm: m.vm, meta, manifest: m };
}
