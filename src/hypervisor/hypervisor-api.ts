// The control plane between the page and the hypervisor worker (comlink): the API the hypervisor
// implements (`class Hypervisor implements HypervisorApi`, exposed as it is by
// workers/hypervisor-worker.ts) and every type the page needs from the hypervisor. The page holds a
// `Comlink.Remote<HypervisorApi>`, which turns each method's result into a Promise and the
// `pageBeat` property into a Promise of its value. The page is the administrator: the hypervisor
// validates what it asks (validateVmConfig, validatePatch, the ledger) and refuses with a message.

import type { LogEntry } from "./event-log.ts";
import type { SnapshotApi } from "./snapshot-api.ts";
import type { MediaKind } from "./guest-catalog.ts";
import type { CardKind, HostCard, LedgerSummary } from "./resource-ledger.ts";
import type { VmChannels } from "./shared-layout.ts";
import type { VmConfig, VmConfigPatch } from "./vm-config.ts";

export type { CardKind, HostCard, LedgerSummary, LogEntry, MediaKind, VmChannels, VmConfig, VmConfigPatch };

export type { OperationProgress, SnapshotApi, SnapshotInfo, SnapshotTree, StorageUsage } from "./snapshot-api.ts";

export interface HypervisorApi extends SnapshotApi {
  /** Lists the VMs stored in IndexedDB again (suspended ones as suspended, the others started),
   *  or boots the default pair of guests when none is stored (fresh setup). */
  createDefaultVms(): Promise<VmInfo[]>;
  createVm(config: VmConfig, start?: boolean): Promise<VmInfo>;
  start(id: string): Promise<void>;
  pause(id: string): void;
  resume(id: string): void;
  reset(id: string): Promise<void>;
  stop(id: string): void;
  remove(id: string): void;
  reconfigure(id: string, patch: VmConfigPatch): { needsRestart: string[] };
  moveCard(cardId: string, fromVm: string, toVm: string): void;
  list(): VmInfo[];
  /** The host's resources and the guest catalog (read first, so a fresh page sees it). */
  host(): Promise<HostInfo>;
  /** Event log entries after sequence number `afterSeq`. */
  events(afterSeq?: number): LogEntry[];
  /** The shared blocks of a VM's current guest (null when it has none). */
  channels(id: string): VmChannels | null;
  /** The page's heartbeat block (page-beat.ts): the page stamps it, guests watch it. */
  readonly pageBeat: SharedArrayBuffer;
  freeCards(kinds: readonly CardKind[]): string[];
  /** Host cores set aside for guests (default: all of them). */
  setGuestCores(cores: number): void;
  /** Test hooks (simulated failures), documented in hypervisor.ts. */
  killGuestWorker(id: string): void;
  injectGuestCrash(id: string): void;
}

/** "suspended": its whole state is stored (Suspend) and it has no worker; resumeSuspended runs it. */
export type VmState = "stopped" | "starting" | "running" | "paused" | "crashed" | "powered-off" | "suspended";

export interface VmStats {
  instructions: number;
  instructionsPerSec: number;
  cpuPercent: number;
  interrupts: number;
  ioReads: number;
  ioWrites: number;
  ioUnclaimed: number;
  serialOut: number;
  serialIn: number;
  keyEvents: number;
  mouseEvents: number;
  frames: number;
  resets: number;
  uptimeSec: number;
  /** Current CPU time slice in % of one core, 0 = unlimited (set only while VMs compete, or by a cap). */
  cpuBudgetPercent: number;
  /** The CPU its share entitles it to, in % of one core: what it gets if it wants all it can use
   *  while the other VMs keep wanting what they want now (cpuPercent is what it got). */
  cpuEntitledPercent: number;
  /** CPU time its guest worker has used, in seconds (the worker's own measure). */
  cpuTimeSec: number;
  /** Recent share of its running time spent stepping aside for a late page (page-beat.ts), in %. */
  pageYieldPercent: number;
  /** Time spent stepping aside for the page since the worker started, in seconds. */
  pageYieldSec: number;
  historyIps: number[];
  historyCpu: number[];
}

export interface VmInfo {
  id: string;
  name: string;
  guestLabel: string;
  /** The catalog guest it boots, or null for an uploaded image. */
  guestId: string | null;
  /** The consoles of the VM's machine (the one running, or the last one run: its screen is kept),
   *  for the UI's panes; until the VM first runs, those of the cards it owns. */
  consoles: { serial: boolean; vga: boolean };
  state: VmState;
  reason: string;
  memoryMiB: number;
  share: number;
  capPercent: number;
  cards: HostCard[];
  pendingRestart: string[];
  createdAt: number;
  /** Changes whenever the VM's guest worker (and so its channels) is replaced. */
  generation: number;
  stats: VmStats;
}

export interface HostInfo {
  ledger: LedgerSummary;
  vmCount: number;
  runningCount: number;
  totalInstructionsPerSec: number;
  totalCpuPercent: number;
  periodMs: number;
  /** Host cores set aside for guests: VMs compete by share only when they want more than these. */
  guestCores: number;
  catalog: { id: string; name: string; os: string; description: string; memoryMiB: number; boot: string; banner?: string; prompt?: string }[];
  catalogProblems: string[];
}
