// The snapshot format (README.md): chunked, content-addressed, compressed machine snapshots and the
// file that carries them.

export { SnapshotFormatError } from "./errors.ts";
export { MemoryChunkStore, type ChunkStore } from "./chunk-store.ts";
export { captureMachine, restoreMachine, type MachineCapture } from "./machine-capture.ts";
export { manifestChunks, type SnapshotManifest, type SnapshotMeta, type VmDefinition } from "./manifest.ts";
export { writeSnapshot } from "./write-snapshot.ts";
export { readSnapshot, type ReadSnapshot } from "./read-snapshot.ts";
export { decodeSnapshotFile, encodeSnapshotFile } from "./snapshot-file.ts";
export { CHUNK_SIZE, FORMAT_VERSION } from "./format-limits.ts";
