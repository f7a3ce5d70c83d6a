// The control plane the page sees (over comlink) of the hypervisor worker.

import type { LogEntry } from "./event-log.ts";
import type { HostInfo, VmInfo } from "./hypervisor.ts";
import type { CardKind } from "./resource-ledger.ts";
import type { VmChannels } from "./shared-layout.ts";
import type { VmConfig, VmConfigPatch } from "./vm-config.ts";

export interface HypervisorApi {
  /** Boots the default pair of guests if no VM exists (fresh setup). */
  createDefaultVms(): Promise<VmInfo[]>;
  createVm(config: VmConfig, start: boolean): Promise<VmInfo>;
  start(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  reset(id: string): Promise<void>;
  stop(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  reconfigure(id: string, patch: VmConfigPatch): Promise<{ needsRestart: string[] }>;
  moveCard(cardId: string, fromVm: string, toVm: string): Promise<void>;
  list(): Promise<VmInfo[]>;
  host(): Promise<HostInfo>;
  events(afterSeq: number): Promise<LogEntry[]>;
  /** The shared blocks of a VM's current guest (null when it has none). */
  channels(id: string): Promise<VmChannels | null>;
  /** The page's heartbeat block (page-beat.ts): the page stamps it, guests watch it. */
  pageBeat(): Promise<SharedArrayBuffer>;
  freeCards(kinds: CardKind[]): Promise<string[]>;
  /** Host cores set aside for guests (default: all of them). */
  setGuestCores(cores: number): Promise<void>;
  /** Test hooks (simulated failures). */
  killGuestWorker(id: string): Promise<void>;
  injectGuestCrash(id: string): Promise<void>;
}
