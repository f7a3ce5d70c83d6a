// Where stored chunks live, named by the SHA-256 of their raw bytes. The hypervisor keeps them in
// IndexedDB; a file, an import and the Node runner keep them in memory.

export interface ChunkStore {
  has(hash: string): Promise<boolean>;
  get(hash: string): Promise<Uint8Array | undefined>;
  put(hash: string, stored: Uint8Array): Promise<void>;
}

export class MemoryChunkStore implements ChunkStore {
  readonly chunks = new Map<string, Uint8Array>();

  has(hash: string): Promise<boolean> {
    return Promise.resolve(this.chunks.has(hash));
  }

  get(hash: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.chunks.get(hash));
  }

  put(hash: string, stored: Uint8Array): Promise<void> {
    this.chunks.set(hash, stored);
    return Promise.resolve();
  }

  /** Stored bytes of all chunks. */
  get storedBytes(): number {
    let n = 0;
    for (const c of this.chunks.values()) n += c.length;
    return n;
  }
}
