// Takes a snapshot file apart and puts it back together (README.md of src/hypervisor/snapshot,
// "File"), so the tests can edit the manifests' JSON the way a corrupted or forged file would.

import { manifestId, type SnapshotManifest } from "../../src/hypervisor/snapshot/manifest.ts";

const HEADER = 16; // magic (8), version (4), manifest length (4)

export interface FileParts {
  header: Uint8Array;
  manifests: SnapshotManifest[];
  /** Everything after the manifests: the chunk count and the chunks. */
  rest: Uint8Array;
}

export function splitFile(file: Uint8Array): FileParts {
  const length = new DataView(file.buffer, file.byteOffset).getUint32(12, true);
  const json = new TextDecoder().decode(file.subarray(HEADER, HEADER + length));
  return { header: file.slice(0, HEADER), manifests: (JSON.parse(json) as { manifests: SnapshotManifest[] }).manifests, rest: file.slice(HEADER + length) };
}

export function joinFile(parts: FileParts, json = JSON.stringify({ manifests: parts.manifests })): Uint8Array {
  const bytes = new TextEncoder().encode(json);
  const out = new Uint8Array(HEADER + bytes.length + parts.rest.length);
  out.set(parts.header);
  new DataView(out.buffer).setUint32(12, bytes.length, true);
  out.set(bytes, HEADER);
  out.set(parts.rest, HEADER + bytes.length);
  return out;
}

/** Gives an edited manifest the id of its new content (a forged but self-consistent manifest). */
export async function reseal(m: SnapshotManifest): Promise<SnapshotManifest> {
  return { ...m, id: await manifestId(m) };
}

/** Where each stored chunk's bytes are in the file, and their length. */
export function chunkPlaces(file: Uint8Array): { at: number; length: number }[] {
  const v = new DataView(file.buffer, file.byteOffset);
  let at = HEADER + v.getUint32(12, true);
  const count = v.getUint32(at, true);
  at += 4;
  const out: { at: number; length: number }[] = [];
  for (let i = 0; i < count; i++) {
    const length = v.getUint32(at + 32, true);
    out.push({ at: at + 36, length });
    at += 36 + length;
  }
  return out;
}
