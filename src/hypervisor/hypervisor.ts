// The hypervisor core: VM registry, lifecycle, resource ledger, CPU-share scheduling, monitoring and
// the event log. Plain TypeScript with no Worker or DOM dependency: the hypervisor worker wires it to
// real guest workers (GuestLauncher) and to fetch() (GuestResources); tests drive it directly.

import { consolesOf, defaultCardKinds, hostCardMemoryMiB } from "../emulator/cards/registry.ts";
import type { MachineConfig } from "../emulator/machine-config.ts";
import type { HostInfo, HypervisorApi, NetworkInfo, VmInfo, VmState } from "./hypervisor-api.ts";
import type { GuestEvents, GuestRunnerSpec } from "./wire/guest-messages.ts";
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

export interface HypervisorOptions {
  budgetMiB?: number;
  periodMs?: number;
  guestCores?: number;
  cards?: HostCard[];
  now?: () => number;
  /** A guest that has not reported for this long while running is declared crashed. */
  watchdogMs?: number;
}

const HISTORY = 120;
/** A guest worker that has not begun running its machine this long after launch is crashed. */
const STARTUP_LIMIT_MS = 60_000;

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
    let config: VmConfig;
    let guest: CatalogGuest | null = null;
    try {
      config = validateVmConfig(input);
      if (config.guest.kind === "catalog") {
        const id = config.guest.guestId;
        guest = (await this.catalog()).guests.find((g) => g.id === id) ?? null;
        if (!guest) throw new ConfigError(`guest "${id}" is not in the guest manifest`);
      }
      const id = `vm${this.nextId}`;
      this.ledger.checkCards(id, config.cards, `VM "${config.name}"`);
      const cards = config.cards.map((c) => this.ledger.card(c));
      const mib = Hypervisor.footprint(config.memoryMiB, cards);
      this.ledger.checkMemory(id, mib, `VM "${config.name}"`);
      this.nextId++;
      this.ledger.reserveMemory(id, mib);
      this.ledger.setCards(id, config.cards);
      const vm: VmRecord = {
        id,
        config,
        state: "stopped",
        reason: "",
        createdAt: this.now(),
        pendingRestart: [],
        channels: null,
        machineCards: [],
        control: null,
        stats: null,
        handle: null,
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
      this.log.add(id, "lifecycle", `created "${config.name}" (${this.guestLabel(vm)}, ${config.memoryMiB} MiB RAM, share ${config.share}${config.capPercent < 100 ? `, cap ${config.capPercent}%` : ""}, cards ${config.cards.join(", ") || "none"})`);
      if (start) await this.start(id);
      return this.info(vm);
    } catch (e) {
      if (e instanceof LedgerError || e instanceof ConfigError) this.log.add(null, "resource", `refused to create VM "${input?.name ?? "?"}": ${e.message}`, "warn");
      throw e;
    }
  }

  /** Boots the default pair (Linux on serial + VGA, memtest86+ on VGA) when no VM exists yet. */
  async createDefaultVms(): Promise<VmInfo[]> {
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
            { name: guest.name, guest: { kind: "catalog", guestId: guest.id }, memoryMiB: guest.memoryMiB, share: 100, capPercent: 100, cards },
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
    vm.state = "starting";
    vm.reason = "";
    vm.pendingRestart = [];
    const generation = ++vm.generation;
    this.log.add(id, "lifecycle", "starting");
    let machine: MachineConfig;
    let cards: HostCard[];
    try {
      const firmware = await this.resources.firmware();
      const files = new Map<string, Uint8Array>();
      if (vm.guest) for (const f of guestFiles(vm.guest)) files.set(f, await this.resources.file(f));
      cards = this.ledger.cardsOf(id);
      machine = buildMachineConfig(vm.config, cards, { ...firmware, catalogGuest: vm.guest, files });
    } catch (e) {
      if (vm.generation === generation) this.markCrashed(vm, `could not prepare the machine: ${errorText(e)}`);
      return;
    }
    if (vm.generation !== generation) return; // stopped meanwhile
    // A new guest worker compiles the emulator and builds its machine while the page builds the
    // VM's panel: launch it once the page is on time again (page-beat.ts), so the two do not
    // compete for the cores.
    if (this.busyGuests() + 1 >= this.scheduler.guestCores) setPageYield(this.pageBeat, true);
    await waitForCalmPage(this.pageBeatReader);
    if (vm.generation !== generation) return;
    const channels = createVmChannels();
    vm.channels = channels;
    vm.machineCards = cards;
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
    vm.handle = this.launcher.launch(
      { vmId: id, machine, channels, periodMs: this.scheduler.periodMs, pageBeat: this.pageBeat, nics },
      {
        started: () => {
          if (!current() || vm.state !== "starting") return;
          vm.state = "running";
          this.log.add(id, "lifecycle", "running");
        },
        crashed: ({ reason }) => {
          if (current()) this.markCrashed(vm, reason);
        },
        "powered-off": ({ reason }) => {
          if (!current()) return;
          this.teardown(vm);
          vm.state = "powered-off";
          vm.reason = reason;
          this.log.add(id, "lifecycle", `powered off: ${reason}`);
        },
        reset: ({ reason }) => {
          if (current()) this.log.add(id, "reset", `guest reset: ${reason}`);
        },
        // A malformed message is not acted on; the VM runs on (its heartbeat still watches it).
        refused: (problem) => {
          if (current()) this.log.add(id, "error", `refused a message from the guest worker: ${problem}`, "warn");
        },
      },
    );
  }

  private markCrashed(vm: VmRecord, reason: string): void {
    if (vm.state === "crashed") return;
    this.teardown(vm);
    vm.state = "crashed";
    vm.reason = reason;
    this.log.add(vm.id, "error", `crashed: ${reason}`);
  }

  /** Ends the guest worker; keeps the channels so the last screen stays visible. */
  private teardown(vm: VmRecord): void {
    vm.generation++;
    this.net.unplugVm(vm.id);
    const h = vm.handle;
    vm.handle = null;
    if (vm.control) {
      Atomics.store(vm.control, Ctl.RUN, RunRequest.STOP);
      ringGuestDoorbell(vm.control);
    }
    h?.terminate();
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
    this.teardown(vm);
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
    const g = vm.config.guest;
    if (g.kind === "upload") return `${g.fileName} as ${g.media}`;
    return vm.guest ? vm.guest.name : g.guestId;
  }

  private info(vm: VmRecord): VmInfo {
    const s = vm.stats;
    const cards = this.ledger.cardsOf(vm.id);
    return {
      id: vm.id,
      name: vm.config.name,
      guestLabel: this.guestLabel(vm),
      guestId: vm.config.guest.kind === "catalog" ? vm.config.guest.guestId : null,
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
