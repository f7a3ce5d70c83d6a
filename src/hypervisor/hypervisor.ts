// The hypervisor core: VM registry, lifecycle, resource ledger, CPU-share scheduling, monitoring,
// the event log, and durable state (snapshots, suspend, export/import, VM definitions and disk
// overlays in the snapshot store). Plain TypeScript with no Worker or DOM dependency: the hypervisor
// worker wires it to real guest workers (GuestLauncher), fetch() (GuestResources) and IndexedDB
// (SnapshotStore); tests drive it directly.

import { consolesOf, defaultCardKinds, hostCardMemoryMiB } from "../emulator/cards/registry.ts";
import type { MachineConfig } from "../emulator/machine-config.ts";
import type { SavedState } from "../emulator/state.ts";
import type { HostInfo, HypervisorApi, NetworkInfo, VmInfo, VmState } from "./hypervisor-api.ts";
import type { OperationProgress, SnapshotInfo, SnapshotTree, StorageUsage } from "./snapshot-api.ts";
import { transfer } from "comlink";
import type { GuestEvents, GuestRunnerSpec } from "./wire/guest-messages.ts";
import { decodeSnapshotFile, encodeSnapshotFile, manifestChunks, readSnapshot, writeSnapshot, type ChunkStore, type MachineCapture, type VmDefinition } from "./snapshot/index.ts";
import { Operations, type Operation } from "./operations.ts";
import { screenThumbnail } from "./screen-thumbnail.ts";
import { SnapshotStore, StagedChunks, formatBytes, type SnapshotRecord, type StoredGuest, type VmDefinitionRecord } from "./store/snapshot-store.ts";
import { CpuScheduler, type SchedulerVm } from "./cpu-scheduler.ts";
import { EventLog, type LogEntry } from "./event-log.ts";
import { PageBeatReader, createPageBeat, setPageYield, waitForCalmPage } from "./page-beat.ts";
import { pickDefaultGuests, type CatalogGuest, type GuestCatalog } from "./guest-catalog.ts";
import { LedgerError, ResourceLedger, type HostCard } from "./resource-ledger.ts";
import { Ctl, GuestState, RunRequest, St, createVmChannels, ringGuestDoorbell, type VmChannels } from "./shared-layout.ts";
import { NetworkHub } from "./net/network-hub.ts";
import { nicPlugsOf } from "./net/nic-plugs.ts";
import {
  ConfigError,
  buildMachineConfig,
  guestFiles,
  restartNeededFor,
  validatePatch,
  validateVmConfig,
  type VmConfig,
  type VmConfigPatch,
} from "./vm-config.ts";

/** What a launcher needs to start a guest worker: its start message's payload, and which VM. */
export type GuestLaunchSpec = GuestRunnerSpec & { vmId: string };

export interface GuestHandle {
  terminate(): void;
}

export interface GuestLauncher {
  launch(spec: GuestLaunchSpec, events: GuestEvents): GuestHandle;
}

export interface GuestResources {
  catalog(): Promise<GuestCatalog>;
  /** A file relative to the guests folder. */
  file(path: string): Promise<Uint8Array>;
  firmware(): Promise<{ bios?: Uint8Array; vgaBios?: Uint8Array }>;
}

/** The browser's storage manager (navigator.storage), or what a test puts in its place. Workers
 *  have no persist() (the page asks for it); they have persisted() and estimate(). */
export interface StorageManagerLike {
  persist?(): Promise<boolean>;
  persisted(): Promise<boolean>;
  estimate(): Promise<{ usage?: number; quota?: number }>;
}

export interface HypervisorOptions {
  budgetMiB?: number;
  periodMs?: number;
  guestCores?: number;
  cards?: HostCard[];
  now?: () => number;
  /** A guest that has not reported for this long while running is declared crashed. */
  watchdogMs?: number;
  /** Where snapshots, VM definitions and disk overlays are kept; without one, nothing persists
   *  and the snapshot operations are refused. */
  store?: SnapshotStore | null;
  storage?: StorageManagerLike | null;
}

const HISTORY = 120;
/** The default Linux VM's blank data disk (ide0-master, /dev/sda in the guest). */
export const DEFAULT_DATA_DISK_MIB = 8;
/** A guest worker that has not begun running its machine this long after launch is crashed. */
const STARTUP_LIMIT_MS = 60_000;
/** A guest worker answers a capture request within this long, or the operation fails. */
const CAPTURE_LIMIT_MS = 60_000;
/** A stopping guest worker gets this long to report its last disk writes before it is ended. */
const STOP_GRACE_MS = 5_000;

/** One guest worker's launch: what only it concerns (its capture requests, whether its disk
 *  writes still count), kept apart from the VM so a worker replaced by a revert cannot touch the
 *  VM's state any more. */
interface Launch {
  handle: GuestHandle | null;
  captures: Map<number, { resolve(state: SavedState): void; reject(e: Error): void }>;
  /** False once another machine's disks replace this one's (revert, resume). */
  acceptDiskWrites: boolean;
}

interface Sample {
  t: number;
  instructions: number;
  cpuMs: number;
  pageYieldMs: number;
  periods: number;
  idle: number;
  exhausted: number;
}

interface VmRecord {
  id: string;
  config: VmConfig;
  state: VmState;
  reason: string;
  createdAt: number;
  pendingRestart: string[];
  channels: VmChannels | null;
  /** The cards the machine behind `channels` was built with: its consoles are what the page can
   *  show, whatever the ledger says after a card change that waits for a restart. */
  machineCards: HostCard[];
  control: Int32Array | null;
  stats: Float64Array | null;
  handle: GuestHandle | null;
  launch: Launch | null;
  /** The MachineConfig the running (or last) machine was built from: snapshots carry it. */
  machineConfig: MachineConfig | null;
  /** Listing order, kept across reloads. */
  order: number;
  /** How its guest is stored (an upload's image by content hash), for its stored definition. */
  storedGuest: StoredGuest;
  /** "You are here": the snapshot its current state descends from. */
  currentId: string | null;
  /** Its suspended state while "suspended". */
  suspendId: string | null;
  /** A stopped VM reverted to a snapshot starts from it. */
  startFrom: string | null;
  /** Bumped on every launch so late events from an old worker are ignored. */
  generation: number;
  guest: CatalogGuest | null;
  last: Sample | null;
  ips: number;
  /** CPU % of one core (smoothed), from the worker's own CPU time. */
  cpu: number;
  idleFraction: number;
  /** Fraction of recent periods in which the VM used up its time slice. */
  exhaustedFraction: number;
  /** % of recent running time spent stepping aside for the page (smoothed). */
  pageYield: number;
  /** Cores its share entitles it to (last plan). */
  entitledCores: number;
  historyIps: number[];
  historyCpu: number[];
  lastHeartbeatChange: number;
  lastHeartbeat: number;
}

export class Hypervisor implements HypervisorApi {
  readonly ledger: ResourceLedger;
  readonly log: EventLog;
  readonly scheduler: CpuScheduler;
  private readonly vms = new Map<string, VmRecord>();
  private nextId = 1;
  private readonly now: () => number;
  private readonly watchdogMs: number;
  private catalogPromise: Promise<GuestCatalog> | null = null;
  private catalogCache: GuestCatalog | null = null;
  /** The page's heartbeat (page-beat.ts), handed to every guest. */
  readonly pageBeat = createPageBeat();
  private readonly pageBeatReader = new PageBeatReader(this.pageBeat);
  /** The virtual networks the VMs' network cards plug into (net/README.md). */
  readonly net = new NetworkHub();
  private readonly store: SnapshotStore | null;
  private readonly storage: StorageManagerLike | null;
  private readonly ops: Operations;
  private nextOrder = 1;
  /** Stored-definition writes, one at a time in order (the last one written wins). */
  private persisting: Promise<void> = Promise.resolve();
  private persistRequested = false;

  constructor(
    private readonly launcher: GuestLauncher,
    private readonly resources: GuestResources,
    options: HypervisorOptions = {},
  ) {
    this.now = options.now ?? (() => Date.now());
    this.ledger = new ResourceLedger(options.budgetMiB ?? 1024, options.cards);
    this.log = new EventLog(2000, this.now);
    this.scheduler = new CpuScheduler({ periodMs: options.periodMs ?? 50, guestCores: options.guestCores ?? 1 });
    this.watchdogMs = options.watchdogMs ?? 15_000;
    this.store = options.store ?? null;
    this.storage = options.storage ?? null;
    this.ops = new Operations(this.now);
  }

  async catalog(): Promise<GuestCatalog> {
    this.catalogPromise ??= this.resources.catalog().then(
      (c) => {
        this.catalogCache = c;
        for (const p of c.problems) this.log.add(null, "error", `guest manifest: ${p}`, "warn");
        return c;
      },
      (e: unknown) => {
        this.catalogPromise = null;
        throw e;
      },
    );
    return this.catalogPromise;
  }

  private record(id: string): VmRecord {
    const vm = this.vms.get(id);
    if (!vm) throw new ConfigError(`there is no VM "${id}"`);
    return vm;
  }

  private static footprint(memoryMiB: number, cards: readonly HostCard[]): number {
    return memoryMiB + cards.reduce((sum, c) => sum + hostCardMemoryMiB(c.kind), 0);
  }

  /** Creates a VM (refused, with the reason, when the ledger says no) and optionally starts it. */
  async createVm(input: VmConfig, start = false): Promise<VmInfo> {
    let vm: VmRecord;
    try {
      const config = validateVmConfig(input);
      const guest = await this.catalogGuest(config);
      const id = `vm${this.nextId}`;
      this.checkResources(id, config);
      this.nextId++; // taken now: storing an upload's image lets other requests in
      let storedGuest: StoredGuest = config.guest.kind === "upload" ? { kind: "snapshot", label: this.labelOf(config, guest), guestId: null } : (config.guest as StoredGuest);
      if (config.guest.kind === "upload" && this.store) {
        try {
          storedGuest = { kind: "upload", fileName: config.guest.fileName, media: config.guest.media, image: await this.store.putImage(config.guest.bytes, config.guest.fileName) };
        } catch (e) {
          this.log.add(id, "error", `the image of "${config.name}" was not stored, so the VM will not survive a reload: ${errorText(e)}`);
        }
      }
      this.checkResources(id, config); // again: others may have taken some while the image was stored
      vm = this.register(id, config, guest, { storedGuest });
      this.log.add(id, "lifecycle", `created "${config.name}" (${this.guestLabel(vm)}, ${config.memoryMiB} MiB RAM, share ${config.share}${config.capPercent < 100 ? `, cap ${config.capPercent}%` : ""}, cards ${config.cards.join(", ") || "none"}${config.dataDiskMiB ? `, ${config.dataDiskMiB} MiB data disk` : ""})`);
    } catch (e) {
      if (e instanceof LedgerError || e instanceof ConfigError) this.log.add(null, "resource", `refused to create VM "${input?.name ?? "?"}": ${e.message}`, "warn");
      throw e;
    }
    void this.persist();
    if (start) await this.start(vm.id);
    return this.info(vm);
  }

  /** The catalog guest a config boots (refused when the catalog does not have it), or null. */
  private async catalogGuest(config: VmConfig): Promise<CatalogGuest | null> {
    const g = config.guest;
    if (g.kind === "upload") return null;
    const id = g.guestId;
    const found = id === null ? null : ((await this.catalog()).guests.find((c) => c.id === id) ?? null);
    if (!found && g.kind === "catalog") throw new ConfigError(`guest "${id}" is not in the guest manifest`);
    return found;
  }

  /** Throws (changing nothing) unless the ledger has the VM's RAM and cards. */
  private checkResources(id: string, config: VmConfig): void {
    this.ledger.checkCards(id, config.cards, `VM "${config.name}"`);
    this.ledger.checkMemory(id, Hypervisor.footprint(config.memoryMiB, config.cards.map((c) => this.ledger.card(c))), `VM "${config.name}"`);
  }

  /** Reserves the VM's resources (checked by checkResources) and lists it. */
  private register(
    id: string,
    config: VmConfig,
    guest: CatalogGuest | null,
    extra: { storedGuest: StoredGuest; createdAt?: number; order?: number; currentId?: string | null; suspendId?: string | null },
  ): VmRecord {
    const n = /^vm(\d+)$/.exec(id);
    if (n) this.nextId = Math.max(this.nextId, Number(n[1]) + 1);
    this.ledger.reserveMemory(id, Hypervisor.footprint(config.memoryMiB, config.cards.map((c) => this.ledger.card(c))));
    this.ledger.setCards(id, config.cards);
    const order = extra.order ?? this.nextOrder;
    this.nextOrder = Math.max(this.nextOrder, order + 1);
    const vm: VmRecord = {
      id,
      config,
      state: extra.suspendId ? "suspended" : "stopped",
      reason: "",
      createdAt: extra.createdAt ?? this.now(),
      pendingRestart: [],
      channels: null,
      machineCards: [],
      control: null,
      stats: null,
      handle: null,
      launch: null,
      machineConfig: null,
      order,
      storedGuest: extra.storedGuest,
      currentId: extra.currentId ?? null,
      suspendId: extra.suspendId ?? null,
      startFrom: null,
      generation: 0,
      guest,
      last: null,
      ips: 0,
      cpu: 0,
      idleFraction: 0,
      exhaustedFraction: 0,
      pageYield: 0,
      entitledCores: 0,
      historyIps: [],
      historyCpu: [],
      lastHeartbeatChange: 0,
      lastHeartbeat: 0,
    };
    this.vms.set(id, vm);
    return vm;
  }

  /** Lists the stored VMs again (after a page reload): suspended ones as suspended, the others
   *  started. Returns false when none is stored. */
  private async restoreStoredVms(): Promise<boolean> {
    if (!this.store) return false;
    let defs: VmDefinitionRecord[];
    try {
      defs = await this.store.vms();
    } catch (e) {
      this.log.add(null, "error", `cannot read the stored VMs: ${errorText(e)}`);
      return false;
    }
    if (defs.length === 0) return false;
    for (const def of defs) {
      try {
        const guestSource: VmConfig["guest"] =
          def.guest.kind === "upload"
            ? { kind: "upload", fileName: def.guest.fileName, media: def.guest.media, bytes: await this.store.image(def.guest.image) }
            : def.guest;
        const cards = this.freeCards(def.cardKinds as HostCard["kind"][]);
        const config: VmConfig = { name: def.name, guest: guestSource, memoryMiB: def.memoryMiB, share: def.share, capPercent: def.capPercent, cards, dataDiskMiB: def.dataDiskMiB };
        const guest = await this.catalogGuest(config).catch(() => null);
        this.checkResources(def.id, config);
        const vm = this.register(def.id, config, guest, { storedGuest: def.guest, createdAt: def.createdAt, order: def.order, currentId: def.currentId, suspendId: def.suspendId });
        this.log.add(def.id, "lifecycle", `restored "${def.name}" from storage${vm.suspendId ? " (suspended)" : ""}`);
        if (!vm.suspendId && def.guest.kind !== "snapshot") await this.start(vm.id);
      } catch (e) {
        this.log.add(def.id, "error", `stored VM "${def.name}" could not be listed again: ${errorText(e)}`);
      }
    }
    return true;
  }

  /** Lists the stored VMs again, or boots the default pair (Linux on serial + VGA with a blank
   *  data disk, memtest86+ on VGA) when none is stored and no VM exists yet. */
  async createDefaultVms(): Promise<VmInfo[]> {
    if (this.vms.size > 0) return this.list();
    void this.requestPersistence();
    if (await this.restoreStoredVms()) return this.list();
    if (this.vms.size > 0) return this.list();
    let catalog: GuestCatalog;
    try {
      catalog = await this.catalog();
    } catch (e) {
      this.log.add(null, "error", `cannot read the guest manifest: ${errorText(e)}`);
      return [];
    }
    const { linux, memtest } = pickDefaultGuests(catalog);
    const out: VmInfo[] = [];
    for (const [guest, withSerial] of [[linux, true], [memtest, false]] as const) {
      if (!guest) continue;
      const cards = this.freeCards(defaultCardKinds(withSerial ? ["serial"] : []));
      try {
        out.push(
          await this.createVm(
            {
              name: guest.name,
              guest: { kind: "catalog", guestId: guest.id },
              memoryMiB: guest.memoryMiB,
              share: 100,
              capPercent: 100,
              cards,
              ...(withSerial ? { dataDiskMiB: DEFAULT_DATA_DISK_MIB } : {}),
            },
            true,
          ),
        );
      } catch (e) {
        this.log.add(null, "error", `default VM "${guest.name}" was not created: ${errorText(e)}`);
      }
    }
    if (!linux) this.log.add(null, "error", "the guest manifest has no Linux guest to boot by default");
    if (!memtest) this.log.add(null, "error", "the guest manifest has no memtest86+ guest to boot by default");
    return out;
  }

  /** Asks the browser once to keep this site's storage (navigator.storage.persist()). */
  private async requestPersistence(): Promise<void> {
    if (!this.storage || this.persistRequested) return;
    this.persistRequested = true;
    try {
      if (await this.storage.persisted()) return;
      if (!this.storage.persist) return;
      const granted = await this.storage.persist();
      this.log.add(null, "config", granted ? "the browser keeps this site's storage (persistent)" : "the browser may clear this site's storage under pressure (persistence not granted)", granted ? "info" : "warn");
    } catch (e) {
      this.log.add(null, "error", `could not ask for persistent storage: ${errorText(e)}`, "warn");
    }
  }

  /** The stored definition of a VM. */
  private definition(vm: VmRecord): VmDefinitionRecord {
    return {
      id: vm.id,
      order: vm.order,
      name: vm.config.name,
      guest: vm.storedGuest,
      memoryMiB: vm.config.memoryMiB,
      share: vm.config.share,
      capPercent: vm.config.capPercent,
      cardKinds: this.ledger.cardsOf(vm.id).map((c) => c.kind),
      ...(vm.config.dataDiskMiB ? { dataDiskMiB: vm.config.dataDiskMiB } : {}),
      createdAt: vm.createdAt,
      currentId: vm.currentId,
      suspendId: vm.suspendId,
    };
  }

  /** Writes the VM definitions that changed (all of them: there are few) in the background. */
  private persist(): Promise<void> {
    const store = this.store;
    if (!store) return Promise.resolve();
    this.persisting = this.persisting.then(async () => {
      for (const vm of this.vms.values()) {
        // An upload whose image could not be stored cannot be listed again: it is not stored.
        if (vm.config.guest.kind === "upload" && vm.storedGuest.kind !== "upload") continue;
        try {
          await store.putVm(this.definition(vm));
        } catch (e) {
          this.log.add(vm.id, "error", `could not store the VM definition: ${errorText(e)}`);
        }
      }
    });
    return this.persisting;
  }

  /** Free card ids, one of each kind asked for (skipping kinds with none left). */
  freeCards(kinds: readonly HostCard["kind"][]): string[] {
    const out: string[] = [];
    for (const k of kinds) {
      const c = this.ledger.freeCard(k);
      if (c) out.push(c.id);
    }
    return out;
  }

  async start(id: string): Promise<void> {
    const vm = this.record(id);
    if (vm.state === "running" || vm.state === "starting" || vm.state === "paused") throw new ConfigError(`VM ${id} is already ${vm.state}`);
    if (vm.state === "suspended") throw new ConfigError(`VM ${id} is suspended: resume it`);
    if (vm.startFrom) {
      const snapshotId = vm.startFrom;
      vm.startFrom = null;
      await this.startFromSnapshot(vm, snapshotId);
      return;
    }
    vm.state = "starting";
    vm.reason = "";
    vm.pendingRestart = [];
    const generation = ++vm.generation;
    this.log.add(id, "lifecycle", "starting");
    let machine: MachineConfig;
    let cards: HostCard[];
    let diskOverlays: GuestRunnerSpec["diskOverlays"];
    try {
      const firmware = await this.resources.firmware();
      const files = new Map<string, Uint8Array>();
      if (vm.guest) for (const f of guestFiles(vm.guest)) files.set(f, await this.resources.file(f));
      cards = this.ledger.cardsOf(id);
      machine = buildMachineConfig(vm.config, cards, { ...firmware, catalogGuest: vm.guest, files });
      diskOverlays = this.store ? await this.store.overlays(id) : undefined;
    } catch (e) {
      if (vm.generation === generation) this.markCrashed(vm, `could not prepare the machine: ${errorText(e)}`);
      return;
    }
    await this.launch(vm, generation, machine, cards, { diskOverlays }, false);
  }

  /** Launches a guest worker and waits until its machine runs (null) or failed to start (why). */
  private async launchAndWait(vm: VmRecord, generation: number, machine: MachineConfig, from: Pick<GuestRunnerSpec, "state" | "diskOverlays">): Promise<string | null> {
    const launched = await this.launch(vm, generation, machine, this.ledger.cardsOf(vm.id), from, true);
    return launched ? launched.outcome : "the VM was stopped meanwhile";
  }

  /** Starts a stopped VM's machine from a stored snapshot (validated completely first). */
  private async startFromSnapshot(vm: VmRecord, snapshotId: string): Promise<void> {
    const capture = await this.loadSnapshot(vm, snapshotId);
    vm.state = "starting";
    vm.reason = "";
    vm.pendingRestart = [];
    const generation = ++vm.generation;
    this.log.add(vm.id, "lifecycle", `starting from snapshot ${snapshotId.slice(0, 12)}`);
    await this.launch(vm, generation, capture.config, this.ledger.cardsOf(vm.id), { state: capture.state }, false);
  }

  /** Launches a guest worker for `vm` (its new generation) once the page is calm; resolves when it
   *  is launched (null when the VM was stopped meanwhile), with `outcome`: null once the machine
   *  runs, or why it failed to start. With `fallible`, a failure to start is only reported to the
   *  caller (who puts the previous machine back) instead of marking the VM crashed. */
  private async launch(
    vm: VmRecord,
    generation: number,
    machine: MachineConfig,
    cards: HostCard[],
    from: Pick<GuestRunnerSpec, "state" | "diskOverlays">,
    fallible: boolean,
  ): Promise<{ outcome: Promise<string | null> } | null> {
    const id = vm.id;
    // A new guest worker compiles the emulator and builds its machine while the page builds the
    // VM's panel: launch it once the page is on time again (page-beat.ts), so the two do not
    // compete for the cores.
    if (this.busyGuests() + 1 >= this.scheduler.guestCores) setPageYield(this.pageBeat, true);
    await waitForCalmPage(this.pageBeatReader);
    if (vm.generation !== generation) return null;
    const channels = createVmChannels();
    vm.channels = channels;
    vm.machineCards = cards;
    vm.machineConfig = machine;
    vm.control = new Int32Array(channels.control);
    vm.stats = new Float64Array(channels.stats);
    vm.control[Ctl.RUN] = RunRequest.RUN;
    vm.control[Ctl.BUDGET] = 0;
    vm.control[Ctl.PERIOD_MS] = this.scheduler.periodMs;
    vm.last = null;
    vm.ips = vm.cpu = vm.pageYield = 0;
    vm.idleFraction = vm.exhaustedFraction = 0;
    vm.lastHeartbeatChange = this.now();
    vm.lastHeartbeat = 0;
    const current = () => vm.generation === generation;
    const nics = this.net.plugVm(id, vm.config.name, nicPlugsOf(machine), { words: vm.control, index: Ctl.DOORBELL });
    const launch: Launch = { handle: null, captures: new Map(), acceptDiskWrites: true };
    vm.launch = launch;
    let settle: (outcome: string | null) => void = () => {};
    const outcome = new Promise<string | null>((resolve) => (settle = resolve));
    let started = false;
    const ended = (reason: string) => {
      for (const c of launch.captures.values()) c.reject(new Error(`the guest worker ended before answering: ${reason}`));
      launch.captures.clear();
      settle(reason);
    };
    launch.handle = this.launcher.launch(
      { vmId: id, machine, channels, periodMs: this.scheduler.periodMs, pageBeat: this.pageBeat, nics, ...from },
      {
        started: () => {
          started = true;
          settle(null);
          if (!current() || vm.state !== "starting") return;
          vm.state = "running";
          this.log.add(id, "lifecycle", "running");
        },
        crashed: ({ reason }) => {
          ended(reason);
          if (fallible && !started) {
            launch.acceptDiskWrites = false;
            launch.handle?.terminate();
            return;
          }
          if (current()) this.markCrashed(vm, reason);
        },
        "powered-off": ({ reason }) => {
          ended(reason);
          if (!current()) return;
          this.teardown(vm);
          vm.state = "powered-off";
          vm.reason = reason;
          this.log.add(id, "lifecycle", `powered off: ${reason}`);
        },
        reset: ({ reason }) => {
          if (current()) this.log.add(id, "reset", `guest reset: ${reason}`);
        },
        captured: ({ seq, state }) => {
          launch.captures.get(seq)?.resolve(state);
          launch.captures.delete(seq);
        },
        "capture-failed": ({ seq, reason }) => {
          launch.captures.get(seq)?.reject(new Error(`the guest worker could not copy the machine: ${reason}`));
          launch.captures.delete(seq);
        },
        // Disk writes count until another machine's disks replace this one's, also after a stop
        // (the worker reports its last writes on its way out).
        "disk-writes": ({ overlay, replace }) => {
          if (!launch.acceptDiskWrites || !this.store || !this.vms.has(id)) return;
          this.store.writeOverlay(id, overlay, replace).catch((e: unknown) => this.log.add(id, "error", `could not store the guest's writes to disk ${overlay.disk}: ${errorText(e)}`));
        },
        stopped: () => {
          ended("stopped");
          launch.handle?.terminate();
        },
        // A malformed message is not acted on; the VM runs on (its heartbeat still watches it).
        refused: (problem) => {
          if (current()) this.log.add(id, "error", `refused a message from the guest worker: ${problem}`, "warn");
        },
      },
    );
    vm.handle = launch.handle;
    return { outcome };
  }

  /** A copy of the machine's state from its guest worker (which runs on right after the copy). */
  private capture(vm: VmRecord): Promise<MachineCapture> {
    const control = vm.control;
    const launch = vm.launch;
    const config = vm.machineConfig;
    if (!control || !launch || !config || !(vm.state === "running" || vm.state === "paused")) {
      return Promise.reject(new ConfigError(`VM ${vm.id} is ${vm.state}: only a running or paused VM has a machine to capture`));
    }
    const seq = Atomics.add(control, Ctl.CAPTURE_SEQ, 1) + 1;
    return new Promise<MachineCapture>((resolve, reject) => {
      const timer = setTimeout(() => {
        launch.captures.delete(seq);
        reject(new Error(`the guest worker did not answer the capture request within ${CAPTURE_LIMIT_MS / 1000} s`));
      }, CAPTURE_LIMIT_MS);
      launch.captures.set(seq, {
        resolve: (state) => {
          clearTimeout(timer);
          resolve({ config, state });
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ringGuestDoorbell(control);
    });
  }

  private markCrashed(vm: VmRecord, reason: string): void {
    if (vm.state === "crashed") return;
    this.teardown(vm);
    vm.state = "crashed";
    vm.reason = reason;
    this.log.add(vm.id, "error", `crashed: ${reason}`);
  }

  /** Ends the guest worker; keeps the channels so the last screen stays visible. `graceful`: the
   *  worker reports its last disk writes first (a few seconds at most). */
  private teardown(vm: VmRecord, graceful = false): void {
    vm.generation++;
    this.net.unplugVm(vm.id);
    const h = vm.handle;
    vm.handle = null;
    vm.launch = null;
    if (vm.control) {
      Atomics.store(vm.control, Ctl.RUN, RunRequest.STOP);
      ringGuestDoorbell(vm.control);
    }
    if (graceful && h) setTimeout(() => h.terminate(), STOP_GRACE_MS);
    else h?.terminate();
  }

  pause(id: string): void {
    const vm = this.record(id);
    if (vm.state !== "running" || !vm.control) throw new ConfigError(`VM ${id} is ${vm.state}, not running`);
    Atomics.store(vm.control, Ctl.RUN, RunRequest.PAUSE);
    ringGuestDoorbell(vm.control);
    vm.state = "paused";
    this.log.add(id, "lifecycle", "paused");
  }

  resume(id: string): void {
    const vm = this.record(id);
    if (vm.state !== "paused" || !vm.control) throw new ConfigError(`VM ${id} is ${vm.state}, not paused`);
    Atomics.store(vm.control, Ctl.RUN, RunRequest.RUN);
    ringGuestDoorbell(vm.control);
    vm.state = "running";
    this.log.add(id, "lifecycle", "resumed");
  }

  /** Hard reset of the guest (like the reset button); a stopped or crashed VM is started instead. */
  async reset(id: string): Promise<void> {
    const vm = this.record(id);
    if ((vm.state === "running" || vm.state === "paused") && vm.control && vm.pendingRestart.length === 0) {
      Atomics.add(vm.control, Ctl.RESET_SEQ, 1);
      ringGuestDoorbell(vm.control);
      this.log.add(id, "reset", "reset requested by the administrator");
      return;
    }
    this.log.add(id, "reset", vm.pendingRestart.length ? `restarting to apply ${vm.pendingRestart.join(", ")}` : "restarting");
    if (vm.state !== "stopped") this.stop(id);
    await this.start(id);
  }

  stop(id: string): void {
    const vm = this.record(id);
    if (vm.state === "stopped") return;
    if (vm.state === "suspended") throw new ConfigError(`VM ${id} is suspended: resume it, or remove it`);
    this.teardown(vm, true);
    vm.state = "stopped";
    vm.reason = "";
    this.log.add(id, "lifecycle", "stopped");
  }

  /** Stops and deletes a VM, giving its RAM and cards back to the host. */
  remove(id: string): void {
    const vm = this.record(id);
    this.teardown(vm);
    this.vms.delete(id);
    this.ledger.release(id);
    this.log.add(id, "lifecycle", `removed "${vm.config.name}"`);
    // Its definition, snapshots and disk overlays go too (after any pending definition write).
    const store = this.store;
    if (store) this.persisting = this.persisting.then(() => store.deleteVm(id)).catch((e: unknown) => {
          this.log.add(id, "error", `could not delete the stored VM: ${errorText(e)}`);
        });
  }

  /** Applies a configuration change; says which parts wait for a restart. */
  reconfigure(id: string, patch: VmConfigPatch): { needsRestart: string[] } {
    const vm = this.record(id);
    try {
      validatePatch(patch);
      const restart = restartNeededFor(vm.config, patch);
      const cardIds = patch.cards ?? vm.config.cards;
      const memoryMiB = patch.memoryMiB ?? vm.config.memoryMiB;
      this.ledger.checkCards(id, cardIds, `VM "${vm.config.name}"`);
      const mib = Hypervisor.footprint(memoryMiB, cardIds.map((c) => this.ledger.card(c)));
      this.ledger.checkMemory(id, mib, `VM "${vm.config.name}"`);
      this.ledger.reserveMemory(id, mib);
      this.ledger.setCards(id, cardIds);
      const before = vm.config;
      vm.config = { ...vm.config, ...patch, name: patch.name?.trim() ?? vm.config.name, cards: [...cardIds] };
      const changes = (Object.keys(patch) as (keyof VmConfigPatch)[])
        .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(vm.config[k]))
        .map((k) => `${k} ${JSON.stringify(before[k])} → ${JSON.stringify(vm.config[k])}`);
      const live = vm.state === "running" || vm.state === "paused" || vm.state === "starting";
      const needsRestart = live ? restart : [];
      vm.pendingRestart = live ? [...new Set([...vm.pendingRestart, ...restart])] : [];
      if (changes.length) this.log.add(id, "config", `changed ${changes.join("; ")}${needsRestart.length ? ` (takes effect after a restart: ${needsRestart.join(", ")})` : ""}`);
      if (changes.length) void this.persist();
      return { needsRestart };
    } catch (e) {
      if (e instanceof LedgerError || e instanceof ConfigError) this.log.add(id, "resource", `refused change: ${e.message}`, "warn");
      throw e;
    }
  }

  /** Moves a card between VMs (a ledger operation; both machines see it after a restart). */
  moveCard(cardId: string, fromVm: string, toVm: string): void {
    const from = this.record(fromVm);
    const to = this.record(toVm);
    try {
      this.ledger.moveCard(cardId, fromVm, toVm);
    } catch (e) {
      if (e instanceof LedgerError) this.log.add(null, "resource", `refused to move card: ${e.message}`, "warn");
      throw e;
    }
    from.config = { ...from.config, cards: from.config.cards.filter((c) => c !== cardId) };
    to.config = { ...to.config, cards: [...to.config.cards, cardId] };
    for (const vm of [from, to]) if (vm.state === "running" || vm.state === "paused") vm.pendingRestart = [...new Set([...vm.pendingRestart, "cards"])];
    this.log.add(null, "config", `moved card ${cardId} from ${fromVm} to ${toVm}`);
    void this.persist();
  }

  // ---- durable state (snapshot-api.ts) ----

  private requireStore(): SnapshotStore {
    if (!this.store) throw new ConfigError("snapshots need the browser's IndexedDB, which this hypervisor was started without");
    return this.store;
  }

  /** What a snapshot says about the VM that made it (enough to list it again without that VM). */
  private vmDefinition(vm: VmRecord): VmDefinition {
    return {
      name: vm.config.name,
      memoryMiB: vm.config.memoryMiB,
      share: vm.config.share,
      capPercent: vm.config.capPercent,
      cardKinds: (vm.machineCards.length ? vm.machineCards : this.ledger.cardsOf(vm.id)).map((c) => c.kind),
      guestLabel: this.guestLabel(vm),
      guestId: vm.config.guest.kind === "upload" ? null : vm.config.guest.guestId,
    };
  }

  /** Hashes, compresses and stores a capture as a snapshot record of `vm` (its new chunks and its
   *  record are written together at the end: a failure leaves the store as it was). */
  private async storeCapture(
    vm: VmRecord,
    capture: MachineCapture,
    meta: { name: string; description: string; kind: "snapshot" | "suspend"; thumbnailPng: Uint8Array | null },
    op: Operation,
  ): Promise<SnapshotRecord> {
    const store = this.requireStore();
    const staged = await store.stage();
    const takenAt = this.now();
    op.step("hashing and compressing", 0.05);
    const manifest = await writeSnapshot(capture, this.vmDefinition(vm), { ...meta, takenAt, parentId: vm.currentId }, staged, (phase, f) => op.step(phase, 0.05 + 0.8 * f));
    op.step(`writing ${formatBytes(staged.pendingBytes)} to storage`, 0.9);
    const record: SnapshotRecord = { id: manifest.id, vmId: vm.id, ...meta, takenAt, parentId: vm.currentId, ramBytes: capture.config.memoryMiB * 1048576, manifest };
    await store.putSnapshot(record, staged);
    return record;
  }

  /** A stored snapshot of `vm`, read and validated completely (nothing is changed by a refusal). */
  private async loadSnapshot(vm: VmRecord, snapshotId: string, op?: Operation): Promise<MachineCapture> {
    const store = this.requireStore();
    const record = await store.snapshot(vm.id, snapshotId);
    if (!record) throw new ConfigError(`VM ${vm.id} has no snapshot ${snapshotId}`);
    op?.step("reading and checking the snapshot", 0.05);
    const { capture } = await readSnapshot(record.manifest, store.chunks, (phase, f) => op?.step(phase, 0.05 + 0.6 * f));
    return capture;
  }

  /** Runs `work` as a tracked operation: its failure is logged and recorded in its progress entry. */
  private async operation<T>(kind: OperationProgress["kind"], vm: VmRecord | null, what: string, work: (op: Operation) => Promise<T>): Promise<T> {
    const op = this.ops.begin(kind, vm?.id ?? null, what);
    try {
      const result = await work(op);
      op.done();
      return result;
    } catch (e) {
      const message = errorText(e);
      op.fail(message);
      this.log.add(vm?.id ?? null, "error", `${what} failed: ${message}`);
      throw e;
    }
  }

  private async snapshotInfos(records: SnapshotRecord[]): Promise<SnapshotInfo[]> {
    const stored = await this.requireStore().storedBytes(records);
    return records.map((r) => ({
      id: r.id,
      vmId: r.vmId,
      name: r.name,
      description: r.description,
      takenAt: r.takenAt,
      parentId: r.parentId,
      thumbnailPng: r.thumbnailPng,
      ramBytes: r.ramBytes,
      storedBytes: stored.get(r.id) ?? 0,
      kind: r.kind,
    }));
  }

  async takeSnapshot(vmId: string, name: string, description = ""): Promise<SnapshotInfo> {
    const vm = this.record(vmId);
    const label = typeof name === "string" ? name.trim() : "";
    if (!label || label.length > 64) throw new ConfigError("a snapshot's name must be 1-64 characters");
    if (typeof description !== "string" || description.length > 1000) throw new ConfigError("a snapshot's description must be at most 1000 characters");
    this.requireStore();
    return this.operation("snapshot", vm, `snapshot "${label}"`, async (op) => {
      op.step("copying the machine's state", 0);
      const t0 = this.now();
      const capture = await this.capture(vm);
      const pauseMs = this.now() - t0;
      const thumbnailPng = vm.channels && consolesOf(vm.machineCards.map((c) => c.kind)).vga ? screenThumbnail(vm.channels.framebuffer) : null;
      const record = await this.storeCapture(vm, capture, { name: label, description, kind: "snapshot", thumbnailPng }, op);
      vm.currentId = record.id;
      void this.persist();
      const [info] = await this.snapshotInfos([record]);
      this.log.add(vmId, "snapshot", `took snapshot "${label}" (${formatBytes(info.storedBytes)} new in storage; state copied in ${pauseMs} ms, stored in ${this.now() - t0} ms)`);
      return info;
    });
  }

  async snapshotTree(vmId: string): Promise<SnapshotTree> {
    const vm = this.record(vmId);
    const records = await this.requireStore().snapshots(vmId);
    return { vmId, snapshots: await this.snapshotInfos(records), currentId: vm.currentId };
  }

  async revertToSnapshot(vmId: string, snapshotId: string): Promise<void> {
    const vm = this.record(vmId);
    if (vm.state === "suspended") throw new ConfigError(`VM ${vmId} is suspended: resume it before reverting`);
    if (vm.state === "starting") throw new ConfigError(`VM ${vmId} is starting: revert once it runs`);
    await this.operation("revert", vm, `revert to snapshot ${snapshotId.slice(0, 12)}`, async (op) => {
      const capture = await this.loadSnapshot(vm, snapshotId, op);
      const live = vm.state === "running" || vm.state === "paused";
      if (!live) {
        // A stopped machine starts from the snapshot when it is started.
        vm.startFrom = snapshotId;
        vm.currentId = snapshotId;
        void this.persist();
        this.log.add(vmId, "snapshot", `reverted to snapshot ${snapshotId.slice(0, 12)}: the VM starts from it`);
        return;
      }
      await this.replaceMachine(vm, capture, op);
      vm.currentId = snapshotId;
      void this.persist();
      this.log.add(vmId, "snapshot", `reverted to snapshot ${snapshotId.slice(0, 12)}`);
    });
  }

  /** Replaces a live VM's machine by one started from `capture`; when that one does not start,
   *  the previous machine runs on as before and the error is thrown. */
  private async replaceMachine(vm: VmRecord, capture: MachineCapture, op: Operation): Promise<void> {
    const wasPaused = vm.state === "paused";
    const previous = {
      state: vm.state,
      generation: vm.generation,
      handle: vm.handle,
      launch: vm.launch,
      channels: vm.channels,
      control: vm.control,
      stats: vm.stats,
      machineCards: vm.machineCards,
      machineConfig: vm.machineConfig,
    };
    if (previous.control) {
      Atomics.store(previous.control, Ctl.RUN, RunRequest.PAUSE);
      ringGuestDoorbell(previous.control);
    }
    op.step("starting the saved machine", 0.7);
    vm.state = "starting";
    const generation = ++vm.generation;
    const failure = await this.launchAndWait(vm, generation, capture.config, { state: capture.state });
    if (failure === null) {
      // The old machine's disk writes no longer count: the restored disks replace them.
      if (previous.launch) previous.launch.acceptDiskWrites = false;
      if (previous.control) {
        Atomics.store(previous.control, Ctl.RUN, RunRequest.STOP);
        ringGuestDoorbell(previous.control);
      }
      previous.handle?.terminate();
      if (wasPaused && vm.control && (vm.state as VmState) === "running") this.pause(vm.id);
      return;
    }
    if (vm.generation === generation) {
      Object.assign(vm, previous);
      if (vm.control && previous.state === "running") {
        Atomics.store(vm.control, Ctl.RUN, RunRequest.RUN);
        ringGuestDoorbell(vm.control);
      }
    }
    throw new Error(`the saved machine did not start, the VM keeps its machine: ${failure}`);
  }

  async deleteSnapshot(vmId: string, snapshotId: string): Promise<void> {
    const vm = this.record(vmId);
    const store = this.requireStore();
    if (vm.suspendId === snapshotId) throw new ConfigError(`snapshot ${snapshotId.slice(0, 12)} holds the suspended VM ${vmId}: resume it instead`);
    await this.operation("delete", vm, `delete snapshot ${snapshotId.slice(0, 12)}`, async (op) => {
      const record = await store.snapshot(vmId, snapshotId);
      if (!record) throw new ConfigError(`VM ${vmId} has no snapshot ${snapshotId}`);
      op.step("freeing chunks", 0.3);
      await store.reparent(vmId, snapshotId, record.parentId);
      const freed = await store.deleteSnapshot(vmId, snapshotId);
      if (vm.currentId === snapshotId) vm.currentId = record.parentId;
      if (vm.startFrom === snapshotId) vm.startFrom = null;
      void this.persist();
      this.log.add(vmId, "snapshot", `deleted snapshot "${record.name}" (freed ${freed.freedChunks} chunks, ${formatBytes(freed.freedBytes)})`);
    });
  }

  async suspend(vmId: string): Promise<void> {
    const vm = this.record(vmId);
    if (!(vm.state === "running" || vm.state === "paused")) throw new ConfigError(`VM ${vmId} is ${vm.state}: only a running or paused VM can be suspended`);
    this.requireStore();
    await this.operation("suspend", vm, "suspend", async (op) => {
      const control = vm.control!;
      const wasRunning = vm.state === "running";
      // Nothing runs between the copy and the end of the worker.
      Atomics.store(control, Ctl.RUN, RunRequest.PAUSE);
      op.step("copying the machine's state", 0);
      let record: SnapshotRecord;
      try {
        const capture = await this.capture(vm);
        const thumbnailPng = vm.channels && consolesOf(vm.machineCards.map((c) => c.kind)).vga ? screenThumbnail(vm.channels.framebuffer) : null;
        record = await this.storeCapture(vm, capture, { name: "Suspended", description: "", kind: "suspend", thumbnailPng }, op);
      } catch (e) {
        if (wasRunning && vm.control === control) {
          Atomics.store(control, Ctl.RUN, RunRequest.RUN);
          ringGuestDoorbell(control);
        }
        throw e;
      }
      this.teardown(vm, true);
      vm.state = "suspended";
      vm.reason = "";
      vm.suspendId = record.id;
      await this.persist();
      this.log.add(vmId, "snapshot", "suspended: its state is stored and its worker ended");
    });
  }

  async resumeSuspended(vmId: string): Promise<void> {
    const vm = this.record(vmId);
    if (vm.state !== "suspended" || !vm.suspendId) throw new ConfigError(`VM ${vmId} is ${vm.state}, not suspended`);
    const store = this.requireStore();
    const suspendId = vm.suspendId;
    await this.operation("resume", vm, "resume", async (op) => {
      const record = await store.snapshot(vmId, suspendId);
      const capture = await this.loadSnapshot(vm, suspendId, op);
      op.step("starting the saved machine", 0.7);
      vm.state = "starting";
      vm.reason = "";
      vm.pendingRestart = [];
      const generation = ++vm.generation;
      const failure = await this.launchAndWait(vm, generation, capture.config, { state: capture.state });
      if (failure !== null) {
        if (vm.generation === generation) {
          this.teardown(vm);
          vm.state = "suspended";
        }
        throw new Error(`the suspended machine did not start (it stays suspended): ${failure}`);
      }
      vm.suspendId = null;
      vm.currentId = record?.kind === "suspend" ? record.parentId : suspendId;
      await this.persist();
      if (record?.kind === "suspend") await store.deleteSnapshot(vmId, suspendId);
      this.log.add(vmId, "snapshot", "resumed from its suspended state");
    });
  }

  async exportVm(vmId: string, snapshotId: string | null): Promise<Uint8Array> {
    const vm = this.record(vmId);
    const store = this.requireStore();
    return this.operation("export", vm, snapshotId ? `export of snapshot ${snapshotId.slice(0, 12)}` : "export", async (op) => {
      let manifest;
      let chunks: ChunkStore = store.chunks;
      const id = snapshotId ?? (vm.state === "suspended" ? vm.suspendId : null);
      if (id) {
        const record = await store.snapshot(vmId, id);
        if (!record) throw new ConfigError(`VM ${vmId} has no snapshot ${id}`);
        manifest = record.manifest;
      } else {
        // The current state, written for the file only (not kept in storage).
        op.step("copying the machine's state", 0);
        const capture = await this.capture(vm);
        const staged: StagedChunks = await store.stage();
        manifest = await writeSnapshot(
          capture,
          this.vmDefinition(vm),
          { name: vm.config.name, description: "exported", takenAt: this.now(), kind: "snapshot", parentId: vm.currentId, thumbnailPng: null },
          staged,
          (phase, f) => op.step(phase, 0.8 * f),
        );
        chunks = staged;
      }
      op.step("writing the file", 0.85);
      const file = await encodeSnapshotFile([manifest], chunks);
      this.log.add(vmId, "snapshot", `exported ${id ? `snapshot ${id.slice(0, 12)}` : "its current state"} (${formatBytes(file.length)})`);
      // Moved, not copied, to the page (the file is tens of MiB and the worker keeps no use for it).
      return file.byteOffset === 0 && file.byteLength === file.buffer.byteLength ? transfer(file, [file.buffer as ArrayBuffer]) : file;
    });
  }

  async importVm(file: Uint8Array, fileName: string): Promise<string> {
    const store = this.requireStore();
    return this.operation("import", null, `import of "${String(fileName).slice(0, 100)}"`, async (op) => {
      if (!(file instanceof Uint8Array)) throw new ConfigError("the imported file must be bytes (a Uint8Array)");
      op.step("checking the file", 0.05);
      // Everything is validated before anything is stored.
      const { manifests, chunks } = await decodeSnapshotFile(file);
      if (manifests.length === 0) throw new ConfigError(`"${fileName}" holds no snapshot`);
      const manifest = manifests[manifests.length - 1];
      const { capture, vm: def, meta } = await readSnapshot(manifest, chunks, (phase, f) => op.step(phase, 0.05 + 0.5 * f));
      const guestId = def.guestId;
      const catalogGuest = guestId ? ((await this.catalog().catch(() => null))?.guests.find((g) => g.id === guestId) ?? null) : null;
      const cards = this.freeCards(def.cardKinds as HostCard["kind"][]);
      const missing = def.cardKinds.filter((k) => !cards.some((c) => this.ledger.card(c).kind === k));
      if (missing.length) throw new LedgerError(`the imported VM needs host cards of kinds ${missing.join(", ")}, and none is free`);
      const name = (def.name || "imported").slice(0, 56).trim() || "imported";
      const config: VmConfig = {
        name: `${name} (imported)`,
        guest: catalogGuest ? { kind: "catalog", guestId: catalogGuest.id } : { kind: "snapshot", label: def.guestLabel, guestId },
        memoryMiB: capture.config.memoryMiB,
        share: def.share,
        capPercent: def.capPercent,
        cards,
      };
      validatePatch({ memoryMiB: config.memoryMiB, share: config.share, capPercent: config.capPercent });
      const id = `vm${this.nextId}`;
      this.checkResources(id, config);
      this.nextId++; // taken now: storing lets other requests in
      op.step("storing", 0.6);
      const staged = await store.stage();
      for (const h of manifestChunks(manifest)) {
        const c = await chunks.get(h);
        if (c) await staged.put(h, c);
      }
      const record: SnapshotRecord = {
        id: manifest.id,
        vmId: id,
        name: meta.name,
        description: meta.description,
        takenAt: meta.takenAt,
        parentId: null,
        kind: meta.kind,
        thumbnailPng: meta.thumbnailPng,
        ramBytes: capture.config.memoryMiB * 1048576,
        manifest,
      };
      // The resources may have been taken while the snapshot was stored.
      this.checkResources(id, config);
      await store.putSnapshot(record, staged);
      const vm = this.register(id, config, catalogGuest, {
        storedGuest: config.guest.kind === "catalog" ? config.guest : { kind: "snapshot", label: def.guestLabel, guestId },
        currentId: record.kind === "snapshot" ? record.id : null,
        suspendId: record.id,
      });
      await this.persist();
      this.log.add(id, "snapshot", `imported "${fileName}" as "${vm.config.name}" (suspended: resume runs it)`);
      return id;
    });
  }

  async storageUsage(): Promise<StorageUsage> {
    const store = this.requireStore();
    const none: { usage?: number; quota?: number } = {};
    const [estimate, persisted, own] = await Promise.all([
      this.storage?.estimate().catch(() => none) ?? Promise.resolve(none),
      this.storage?.persisted().catch(() => false) ?? Promise.resolve(false),
      store.usage(),
    ]);
    return { usageBytes: estimate.usage ?? 0, quotaBytes: estimate.quota ?? 0, persisted, chunkBytes: own.chunkBytes, chunkCount: own.chunkCount };
  }

  operations(): OperationProgress[] {
    return this.ops.list();
  }

  channels(id: string): VmChannels | null {
    return this.record(id).channels;
  }

  list(): VmInfo[] {
    return [...this.vms.values()].map((vm) => this.info(vm));
  }

  async host(): Promise<HostInfo> {
    // The catalog is part of the answer; when it cannot be read, the event log says why.
    await this.catalog().catch(() => undefined);
    let ips = 0;
    let cpu = 0;
    let running = 0;
    for (const vm of this.vms.values()) {
      if (vm.state === "running") running++;
      if (vm.state === "running" || vm.state === "paused") {
        ips += vm.ips;
        cpu += vm.cpu;
      }
    }
    const c = this.catalogCache;
    return {
      ledger: this.ledger.summary(),
      vmCount: this.vms.size,
      runningCount: running,
      totalInstructionsPerSec: ips,
      totalCpuPercent: cpu,
      periodMs: this.scheduler.periodMs,
      guestCores: this.scheduler.guestCores,
      catalog: (c?.guests ?? []).map((g) => ({
        id: g.id,
        name: g.name,
        os: g.os,
        description: g.description,
        banner: g.banner,
        prompt: g.prompt,
        memoryMiB: g.memoryMiB,
        boot: g.boot.kind === "media" ? g.boot.media : g.boot.kind,
      })),
      catalogProblems: c?.problems ?? [],
    };
  }

  events(afterSeq = 0): LogEntry[] {
    return this.log.since(afterSeq);
  }

  /** Test hook: kills the guest worker outright (as if its thread died). */
  killGuestWorker(id: string): void {
    const vm = this.record(id);
    if (!vm.handle) throw new ConfigError(`VM ${id} has no guest worker`);
    vm.handle.terminate();
    this.markCrashed(vm, "guest worker terminated unexpectedly");
  }

  /** Test hook: makes the guest worker's run loop throw (a simulated emulator exception). */
  injectGuestCrash(id: string): void {
    const vm = this.record(id);
    if (!vm.control) throw new ConfigError(`VM ${id} has no guest worker`);
    Atomics.add(vm.control, Ctl.CRASH_SEQ, 1);
    ringGuestDoorbell(vm.control);
  }

  /** Sets how many host cores are set aside for guests (VMs compete by share only when they want
   *  more than these). Takes effect at once. */
  setGuestCores(cores: number): void {
    if (!(Number.isFinite(cores) && cores > 0 && cores <= 1024)) throw new ConfigError(`guest cores must be a number above 0 and at most 1024, got ${String(cores)}`);
    this.scheduler.guestCores = cores;
    this.log.add(null, "config", `host cores set aside for guests: ${cores}`);
    this.schedule();
  }

  networks(): NetworkInfo[] {
    return this.net.info();
  }

  setCapture(network: string, on: boolean, port?: string): void {
    if (on) this.net.startCapture(network, port);
    else this.net.stopCapture(network, port);
    this.log.add(null, "config", `packet capture ${on ? "started" : "stopped"} on ${port ? `port "${port}" of ` : ""}network "${network}"`);
  }

  capturePcap(network: string, port?: string): Uint8Array {
    return this.net.capturePcap(network, port);
  }

  /** Called periodically (every ~250 ms): reads every guest's counters, updates rates and
   *  history, runs the watchdog, and hands out CPU time slices. */
  tick(): void {
    const t = this.now();
    for (const vm of this.vms.values()) this.sample(vm, t);
    this.schedule();
  }

  private sample(vm: VmRecord, t: number): void {
    const s = vm.stats;
    if (!s || !(vm.state === "running" || vm.state === "paused" || vm.state === "starting")) {
      vm.ips = 0;
      vm.cpu = 0;
      return;
    }
    const cur: Sample = {
      t,
      instructions: s[St.INSTRUCTIONS],
      cpuMs: s[St.CPU_MS],
      pageYieldMs: s[St.PAGE_YIELD_MS],
      periods: s[St.PERIODS],
      idle: s[St.PERIODS_IDLE],
      exhausted: s[St.PERIODS_EXHAUSTED],
    };
    const hb = s[St.HEARTBEAT];
    if (hb !== vm.lastHeartbeat) {
      vm.lastHeartbeat = hb;
      vm.lastHeartbeatChange = t;
    } else if (vm.state !== "starting" && t - vm.lastHeartbeatChange > this.watchdogMs) {
      this.markCrashed(vm, `guest worker stopped responding (no heartbeat for ${Math.round((t - vm.lastHeartbeatChange) / 1000)} s)`);
      return;
    } else if (vm.state === "starting" && t - vm.lastHeartbeatChange > STARTUP_LIMIT_MS) {
      // Building a machine takes seconds; a worker silent for this long never will.
      this.markCrashed(vm, `guest worker did not start within ${STARTUP_LIMIT_MS / 1000} s`);
      return;
    }
    if (s[St.STATE] === GuestState.CRASHED && vm.state !== "starting") {
      // The worker also posts the reason; this catches a crash whose message was lost.
      this.markCrashed(vm, "the emulator reported a crash");
      return;
    }
    const prev = vm.last;
    if (prev && t - prev.t >= 200) {
      const dt = (t - prev.t) / 1000;
      const di = cur.instructions - prev.instructions;
      const ips = Math.max(0, di / dt);
      const cpu = Math.max(0, Math.min(100, ((cur.cpuMs - prev.cpuMs) / (t - prev.t)) * 100));
      const pageYield = Math.max(0, Math.min(100, ((cur.pageYieldMs - prev.pageYieldMs) / (t - prev.t)) * 100));
      vm.ips = vm.ips === 0 ? ips : vm.ips * 0.5 + ips * 0.5;
      vm.cpu = vm.cpu === 0 ? cpu : vm.cpu * 0.5 + cpu * 0.5;
      vm.pageYield = vm.pageYield * 0.5 + pageYield * 0.5;
      const dp = cur.periods - prev.periods;
      if (dp > 0) {
        vm.idleFraction = (cur.idle - prev.idle) / dp;
        vm.exhaustedFraction = (cur.exhausted - prev.exhausted) / dp;
      }
      push(vm.historyIps, vm.state === "paused" ? 0 : ips);
      push(vm.historyCpu, vm.state === "paused" ? 0 : cpu);
      vm.last = cur;
    } else if (!prev) vm.last = cur;
  }

  /** Running guests that are not mostly idle (they compete for the cores). */
  private busyGuests(): number {
    let n = 0;
    for (const v of this.vms.values()) if (v.control && v.state === "running" && v.idleFraction < 0.5) n++;
    return n;
  }

  private schedule(): void {
    const input: SchedulerVm[] = [];
    for (const vm of this.vms.values()) {
      if (!vm.control) continue;
      input.push({
        id: vm.id,
        share: vm.config.share,
        capPercent: vm.config.capPercent,
        active: vm.state === "running",
        cpuCores: vm.cpu / 100,
        idleFraction: vm.idleFraction,
        exhaustedFraction: vm.exhaustedFraction,
      });
    }
    const plan = this.scheduler.plan(input);
    // Guests step aside for a late page only when the busy ones could fill the cores set aside
    // for guests, i.e. when the page may have no core of its own.
    setPageYield(this.pageBeat, this.busyGuests() >= this.scheduler.guestCores);
    for (const [id, allotment] of plan) {
      const vm = this.vms.get(id);
      if (!vm?.control) continue;
      vm.entitledCores = allotment.entitledCores;
      const time = Math.min(allotment.timeUs, 0x7fffffff);
      if (Atomics.load(vm.control, Ctl.BUDGET) !== time) {
        Atomics.store(vm.control, Ctl.BUDGET, time);
        ringGuestDoorbell(vm.control);
      }
    }
  }

  private guestLabel(vm: VmRecord): string {
    return this.labelOf(vm.config, vm.guest);
  }

  private labelOf(config: VmConfig, guest: CatalogGuest | null): string {
    const g = config.guest;
    if (g.kind === "upload") return `${g.fileName} as ${g.media}`;
    if (g.kind === "snapshot") return g.label;
    return guest ? guest.name : g.guestId;
  }

  private info(vm: VmRecord): VmInfo {
    const s = vm.stats;
    const cards = this.ledger.cardsOf(vm.id);
    return {
      id: vm.id,
      name: vm.config.name,
      guestLabel: this.guestLabel(vm),
      guestId: vm.config.guest.kind === "upload" ? null : vm.config.guest.guestId,
      consoles: consolesOf((vm.channels ? vm.machineCards : cards).map((c) => c.kind)),
      state: vm.state,
      reason: vm.reason,
      memoryMiB: vm.config.memoryMiB,
      share: vm.config.share,
      capPercent: vm.config.capPercent,
      cards,
      pendingRestart: vm.pendingRestart,
      createdAt: vm.createdAt,
      generation: vm.generation,
      stats: {
        instructions: s ? s[St.INSTRUCTIONS] : 0,
        instructionsPerSec: vm.ips,
        cpuPercent: vm.cpu,
        interrupts: s ? s[St.INTERRUPTS] : 0,
        ioReads: s ? s[St.IO_READS] : 0,
        ioWrites: s ? s[St.IO_WRITES] : 0,
        ioUnclaimed: s ? s[St.IO_UNCLAIMED] : 0,
        serialOut: s ? s[St.SERIAL_OUT] : 0,
        serialIn: s ? s[St.SERIAL_IN] : 0,
        keyEvents: s ? s[St.KEY_EVENTS] : 0,
        mouseEvents: s ? s[St.MOUSE_EVENTS] : 0,
        frames: s ? s[St.FRAMES] : 0,
        resets: s ? s[St.RESETS] : 0,
        uptimeSec: s ? s[St.UPTIME_NS] / 1e9 : 0,
        cpuBudgetPercent: vm.control ? Atomics.load(vm.control, Ctl.BUDGET) / (this.scheduler.periodMs * 10) : 0,
        cpuEntitledPercent: vm.control && vm.state === "running" ? vm.entitledCores * 100 : 0,
        cpuTimeSec: s ? s[St.CPU_MS] / 1000 : 0,
        pageYieldPercent: vm.pageYield,
        pageYieldSec: s ? s[St.PAGE_YIELD_MS] / 1000 : 0,
        historyIps: [...vm.historyIps],
        historyCpu: [...vm.historyCpu],
      },
    };
  }
}

function push(history: number[], v: number): void {
  history.push(v);
  if (history.length > HISTORY) history.shift();
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}`;
  return String(e);
}
