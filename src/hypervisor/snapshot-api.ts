// The control-plane contract for durable VM state (issue 10): snapshots, suspend/resume, export and
// import, storage usage. The hypervisor implements it (HypervisorApi extends SnapshotApi once it
// does); the dashboard calls it through comlink. Types only: one definition for both sides.

/** One snapshot of a VM, as the dashboard lists it. */
export interface SnapshotInfo {
  /** Content id of the snapshot's manifest (stable across reloads and export/import). */
  id: string;
  vmId: string;
  name: string;
  description: string;
  /** Epoch ms when it was taken. */
  takenAt: number;
  /** The snapshot this one was taken after (the VM's "you are here" when it was taken), or null. */
  parentId: string | null;
  /** PNG of the VM's screen when taken (small), or null for a VM without a screen. */
  thumbnailPng: Uint8Array | null;
  /** Guest RAM size in bytes, and what this snapshot's chunks take in storage (compressed; chunks
   *  shared with other snapshots are counted once, in the oldest snapshot that has them). */
  ramBytes: number;
  storedBytes: number;
  /** "snapshot" (taken by the user) or "suspend" (written by Suspend; removed on Resume). */
  kind: "snapshot" | "suspend";
}

/** A VM's snapshot tree: every snapshot of it, and where the running machine came from. */
export interface SnapshotTree {
  vmId: string;
  snapshots: SnapshotInfo[];
  /** The snapshot the VM's current state descends from ("you are here"), or null. */
  currentId: string | null;
}

/** Storage of this origin (navigator.storage.estimate()) and Hypertab's share of it. */
export interface StorageUsage {
  usageBytes: number;
  quotaBytes: number;
  /** navigator.storage.persist() granted. */
  persisted: boolean;
  /** Bytes of Hypertab's stores: chunks, manifests, VM definitions, images, disk overlays. */
  chunkBytes: number;
  chunkCount: number;
}

/** Progress of a long operation (save, restore, export, import), polled by the dashboard. */
export interface OperationProgress {
  id: string;
  vmId: string | null;
  kind: "snapshot" | "revert" | "suspend" | "resume" | "export" | "import" | "delete";
  /** What it is doing now, for the progress bar's label ("compressing RAM", "writing chunks"). */
  phase: string;
  /** 0..1 */
  fraction: number;
  done: boolean;
  /** Set when it failed: what happened, and how much space was needed for a quota error. */
  error: string | null;
}

export interface SnapshotApi {
  /** Pauses the guest only while its state and RAM are copied; resolves when stored. */
  takeSnapshot(vmId: string, name: string, description?: string): Promise<SnapshotInfo>;
  snapshotTree(vmId: string): Promise<SnapshotTree>;
  /** Replaces the VM's machine by the snapshot's (running or stopped VM); the VM runs afterwards
   *  if it was running. */
  revertToSnapshot(vmId: string, snapshotId: string): Promise<void>;
  /** Frees the chunks no other snapshot, suspended VM or disk uses. */
  deleteSnapshot(vmId: string, snapshotId: string): Promise<void>;
  /** Stores the VM's whole state and ends its worker; the VM is listed as "suspended". */
  suspend(vmId: string): Promise<void>;
  /** Continues a suspended VM exactly where it was. */
  resumeSuspended(vmId: string): Promise<void>;
  /** One file holding a snapshot (or, with snapshotId null, the VM's current state) and everything
   *  needed to restore it without the VM that made it. */
  exportVm(vmId: string, snapshotId: string | null): Promise<Uint8Array>;
  /** Validates the file completely, stores it and lists it as a new VM (suspended: Resume runs it). */
  importVm(file: Uint8Array, fileName: string): Promise<string>;
  storageUsage(): Promise<StorageUsage>;
  /** Operations running now and those that ended in the last minute. */
  operations(): OperationProgress[];
}
