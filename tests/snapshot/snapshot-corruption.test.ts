// The refusals a user meets: a byte flipped inside a chunk, a truncated file, a file of another
// kind, a file or manifest of a newer format version, an edited manifest, a missing chunk, a forged
// size, a snapshot of another machine. Each is refused with a message that names the problem.

import { beforeAll, describe, expect, it } from "vitest";
import { StateError } from "../../src/emulator/state.ts";
import { decodeSnapshotFile, MemoryChunkStore, readSnapshot, restoreMachine, SnapshotFormatError, type SnapshotManifest } from "../../src/hypervisor/snapshot/index.ts";
import { chunkPlaces, joinFile, reseal, splitFile } from "./file-surgery.ts";
import { realSnapshotFile } from "./small-machine.ts";

let file: Uint8Array;
let ramSha256: string;

beforeAll(async () => {
  ({ file, ramSha256 } = await realSnapshotFile());
});

async function refusal(bytes: Uint8Array): Promise<SnapshotFormatError> {
  const e = await rejection(decodeSnapshotFile(bytes));
  expect(e).toBeInstanceOf(SnapshotFormatError);
  return e as SnapshotFormatError;
}

/** The error a promise is rejected with (null when it resolves). */
function rejection(p: Promise<unknown>): Promise<Error | null> {
  return p.then(
    () => null,
    (e: Error) => e,
  );
}

describe("snapshot file refusals", () => {
  it("loads the intact file", async () => {
    const { manifests, chunks } = await decodeSnapshotFile(file);
    const read = await readSnapshot(manifests[0], chunks);
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(read.capture.state.fields.ram as Uint8Array).digest("hex")).toBe(ramSha256);
  });

  it("a byte flipped inside a chunk", async () => {
    const bad = file.slice();
    // In the biggest chunk, well inside the compressed data (a flip in a deflate block header can
    // leave the output unchanged: then the file is still the same snapshot).
    const { at, length } = chunkPlaces(bad).sort((a, b) => b.length - a.length)[0]!;
    bad[at + Math.floor(length * 0.75)] ^= 0x10;
    expect((await refusal(bad)).message).toMatch(/^chunk [0-9a-f]{12} (is corrupted: its bytes do not match its SHA-256|does not decompress|decompresses to)/);
  });

  it("a truncated file, wherever it is cut", async () => {
    expect((await refusal(file.subarray(0, file.length - 1))).message).toMatch(/^snapshot file is truncated: chunk [0-9a-f]{12} at byte \d+ needs \d+ bytes, the file ends at \d+$/);
    expect((await refusal(file.subarray(0, 100))).message).toMatch(/^snapshot file is truncated: the manifests at byte 16 needs \d+ bytes, the file ends at 100$/);
    expect((await refusal(file.subarray(0, 10))).message).toBe("snapshot file is truncated: the format version at byte 8 needs 4 bytes, the file ends at 10");
    expect((await refusal(file.subarray(0, 0))).message).toBe("not a Hypertab snapshot file (it is empty)");
  });

  it("a file of another kind", async () => {
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52);
    expect((await refusal(png)).message).toBe("not a Hypertab snapshot file (it starts with 89 50 4e 47 0d 0a 1a 0a)");
    expect((await refusal(new TextEncoder().encode('{"manifests": []}'))).message).toMatch(/^not a Hypertab snapshot file/);
  });

  it("a file from a newer format version", async () => {
    const newer = file.slice();
    new DataView(newer.buffer).setUint32(8, 2, true);
    expect((await refusal(newer)).message).toBe("snapshot format version 2 is newer than this build supports (1)");
    const parts = splitFile(file);
    parts.manifests[0] = await reseal({ ...parts.manifests[0]!, version: 7 });
    expect((await refusal(joinFile(parts))).message).toBe("manifest 1 of 1: snapshot format version 7 is newer than this build supports (1)");
  });

  it("an edited manifest", async () => {
    const parts = splitFile(file);
    parts.manifests[0] = { ...parts.manifests[0]!, ramBytes: parts.manifests[0]!.ramBytes };
    (parts.manifests[0]!.meta as { name: string }).name = "renamed";
    expect((await refusal(joinFile(parts))).message).toMatch(/^manifest 1 of 1: manifest [0-9a-f]{12} does not match its content \(edited or corrupted\)$/);
  });

  it("bytes after the last chunk, and a manifest length beyond the limit", async () => {
    expect((await refusal(Uint8Array.from([...file, 0]))).message).toBe("snapshot file has 1 bytes after its last chunk");
    const huge = file.slice();
    new DataView(huge.buffer).setUint32(12, 0xffffffff, true);
    expect((await refusal(huge)).message).toBe(`snapshot file declares ${0xffffffff} bytes of manifests, at most ${64 * 2 ** 20} allowed`);
  });

  it("a forged array size is refused before anything is allocated", async () => {
    const parts = splitFile(file);
    const m = structuredClone(parts.manifests[0]!) as SnapshotManifest & { state: { fields: { ram: { byteLength: number; chunks: unknown[] } } } };
    m.state.fields.ram.byteLength = 2 ** 40;
    parts.manifests[0] = await reseal(m);
    expect((await refusal(joinFile(parts))).message).toBe(`manifest 1 of 1: state.fields.ram: byteLength ${2 ** 40} is not an integer 4096..${4 * 2 ** 30}`);
    m.state.fields.ram.byteLength = 2 ** 31;
    expect((await rejection(readSnapshot(await reseal(m), new MemoryChunkStore())))?.message).toBe("state.fields.ram: 2147483648 bytes needs 32768 chunk entries, found 64");
  });

  it("a missing chunk", async () => {
    const { manifests } = await decodeSnapshotFile(file);
    const e = await rejection(readSnapshot(manifests[0], new MemoryChunkStore()));
    expect(e).toBeInstanceOf(SnapshotFormatError);
    expect(e?.message).toMatch(/^config\.boot\.kernel: chunk [0-9a-f]{12} is missing$|^state\.fields\.ram: chunk [0-9a-f]{12} is missing$/);
  });

  it("a snapshot whose state does not fit its machine is refused by the machine before it runs", async () => {
    const { manifests, chunks } = await decodeSnapshotFile(file);
    const read = await readSnapshot(manifests[0], chunks);
    const devices = read.capture.state.fields.devices as Record<string, { fields: Record<string, unknown> }>;
    devices.com1!.fields.ier = 999;
    expect(() => restoreMachine(read.capture)).toThrow(StateError);
    expect(() => restoreMachine(read.capture)).toThrow(/^uart16550: field "ier" must be an integer 0\.\.15, got 999$/);
    expect(() => restoreMachine({ ...read.capture, config: { ...read.capture.config, memoryMiB: 16 } })).toThrow(/different machine configuration/);
    expect(() => restoreMachine({ ...read.capture, config: { ...read.capture.config, memoryMiB: -1 } })).toThrow(/^the snapshot's machine cannot be built: MachineConfigError: /);
  });
});
