// Assembles a PC from a validated MachineConfig: RAM, the CPU, the chipset every PC has (i440FX host
// bridge with PAM shadowing, PIIX3 ISA bridge with its IDE function, PIIX4 power management with
// ACPI, fw_cfg, DMA), then the cards the config lists (each card type's facts and device builder
// live in cards/). It owns the run loop (CPU slices bounded by timer deadlines), reset/power-off/
// crash handling, the direct boot paths and whole-machine snapshots.

import { VirtualClock, type TimedDevice } from "./clock.ts";
import { CPU } from "./cpu/cpu.ts";
import type { CardSite } from "./cards/card-type.ts";
import type { MachineNic } from "./cards/nic.ts";
import { cardTypeOf, type CardConfig } from "./cards/registry.ts";
import type { Device, DeviceContext, IrqLines, Logger } from "./device.ts";
import { AcpiPm } from "./devices/chipset/acpi-pm.ts";
import { buildAcpiTables, PM_IO_BASE, type AcpiBlobs, type AcpiIsaDevice } from "./devices/firmware/acpi-tables.ts";
import { Dma8237 } from "./devices/chipset/dma-8237.ts";
import { FwCfg } from "./devices/firmware/fw-cfg.ts";
import { I440fxHost } from "./devices/chipset/i440fx-host.ts";
import { IdeController, type IdeChannelSpec } from "./devices/ide/ide-controller.ts";
import { InterruptSystem } from "./devices/interrupts/interrupt-system.ts";
import { PciHostBus } from "./devices/chipset/pci-bus.ts";
import { Pit8254 } from "./devices/timers/pit-8254.ts";
import { RtcCmos, type FloppyType } from "./devices/timers/rtc-cmos.ts";
import { SystemPorts } from "./devices/chipset/system-ports.ts";
import { Piix3Isa } from "./devices/chipset/piix3-isa.ts";
import { IOBus } from "./io-bus.ts";
import { DIRECT_ACPI_RSDP, writeDirectBootTables } from "./direct-boot-tables.ts";
import { CPU_SIGNATURE } from "./cpu/constants.ts";
import { featureFlags } from "./cpu/cpuid.ts";
import { IOAPIC_VERSION } from "./devices/interrupts/io-apic.ts";
import { LAPIC_VERSION } from "./devices/interrupts/local-apic.ts";
import type { MpPciInterrupt } from "./devices/firmware/mp-table.ts";
import { directBootMemoryMap, loadLinux } from "./linux-boot.ts";
import type { Keyboard, Machine, MachineRunState, MachineStats, SerialPort, SliceResult, SlicePolicy, VgaView } from "./machine-api.ts";
import type { BootDevice, MachineConfig } from "./machine-config.ts";
import { validateMachineConfig } from "./machine-config-validate.ts";
import { machineFingerprint, restoreMachineState, saveMachineState } from "./machine-snapshot.ts";
import { PhysicalMemory } from "./memory.ts";
import { PciCardSlots } from "./pci-card-slots.ts";
import { loadMultiboot } from "./multiboot.ts";
import type { SavedState } from "./state.ts";

export class EmulatorNotReadyError extends Error {
  override name = "EmulatorNotReadyError";
}

/** Longest CPU chunk between timer checks, in virtual ns: timer interrupts are never later than this. */
const MAX_CHUNK_NS = 1_000_000;
/** How many idle gaps one skipIdle slice may jump over before it reports "halted" anyway. */
const MAX_IDLE_SKIPS_PER_SLICE = 1000;
/** Smallest chunk, so a deadline that is already due still lets the CPU make progress. */
const MIN_CHUNK_INSTRUCTIONS = 64;

// ---- chipset: what the chipset and the firmware tables need to know about the cards ----

/** The ISA devices the DSDT lists for this config (firmware probes PS/2 and floppy only if listed). */
function isaDevicesOf(config: MachineConfig): AcpiIsaDevice[] {
  const byName = new Map<string, AcpiIsaDevice>();
  for (const c of config.cards) for (const d of cardTypeOf(c).isaDevices?.(c) ?? []) byName.set(d.name, d);
  return [...byName.values()];
}

/** SeaBIOS's device path (its "bootorder" fw_cfg file) for the first card of a boot device kind. */
function bootPath(config: MachineConfig, device: BootDevice): string {
  for (const c of config.cards) {
    const boot = cardTypeOf(c).boot;
    if (boot?.device === device) return boot.path(c);
  }
  throw new Error(`machine: no card boots from ${device}`); // validateMachineConfig refuses such configs
}

/** The PIIX3 IDE function's drives, from the cards that are IDE drives. */
function ideChannels(config: MachineConfig): { primary: IdeChannelSpec; secondary: IdeChannelSpec } {
  const channels: [IdeChannelSpec, IdeChannelSpec] = [{}, {}];
  for (const c of config.cards) {
    const drive = cardTypeOf(c).ideDrive?.(c);
    if (drive) channels[drive.channel][drive.slave ? "slave" : "master"] = drive.spec;
  }
  return { primary: channels[0], secondary: channels[1] };
}

/** CMOS floppy drive types of drives A: and B:. */
function floppyTypes(config: MachineConfig): [FloppyType, FloppyType] {
  const types: [FloppyType, FloppyType] = ["none", "none"];
  for (const c of config.cards) {
    const f = cardTypeOf(c).cmosFloppy?.(c);
    if (f) types[f.drive] = f.type;
  }
  return types;
}

class PcMachine implements Machine {
  /** The config as it stands now: hot-plugged cards are in it (with their `pciSlot`), removed ones not. */
  private currentConfig: Readonly<MachineConfig>;
  readonly memory: PhysicalMemory;
  readonly io = new IOBus();
  readonly clock: VirtualClock;
  readonly cpu: CPU;
  readonly pciBus: PciHostBus;
  readonly host: I440fxHost;
  readonly piix3: Piix3Isa;
  readonly acpiPm: AcpiPm;
  readonly fwCfg: FwCfg;
  readonly dma: Dma8237;
  readonly interrupts: InterruptSystem;
  readonly ide: IdeController;
  readonly pit: Pit8254;
  readonly rtc: RtcCmos;
  readonly systemPorts: SystemPorts;
  readonly serial: SerialPort[] = [];
  vga: VgaView | null = null;
  keyboard: Keyboard | null = null;
  /** The network cards, in config order: their wire ports, for a switch to plug into. */
  readonly nics: MachineNic[] = [];
  /** Every stateful device, in creation order (also the save/restore and reset order). */
  readonly devices: Device[] = [];
  private currentFingerprint: string;
  private readonly acpi: AcpiBlobs;
  private readonly cardSite: CardSite;
  private readonly cardSlots: PciCardSlots;
  private readonly cardRemovedListeners: ((card: CardConfig, slot: number, why: string) => void)[] = [];

  private runState: MachineRunState = "running";
  private reason = "";
  private status: number | null = null;
  private paused = false;
  private pendingReset: string | null = null;
  private pendingPowerOff: { status: number; reason: string } | null = null;

  private readonly timerDevices: TimedDevice[] = [];
  private deadlines = new Float64Array(8);
  /** Recent speed estimate in instructions per virtual ns, to size chunks between deadlines. */
  private instructionsPerNs = 0.02;
  private readonly debugconListeners: ((byte: number) => void)[] = [];
  private readonly resetListeners: ((reason: string) => void)[] = [];
  /** Guest-caused resets since the machine was built (Machine.resetCount). */
  resetCount = 0;
  private irqTarget: IrqLines | null = null;
  private readonly log: Logger;
  /** Local APIC + I/O APIC present (the MADT describes them). */
  private readonly apic: boolean;

  constructor(config: MachineConfig, options: MachineOptions = {}) {
    this.currentConfig = config;
    this.log = options.log ?? (() => {});
    this.apic = config.apic ?? true;
    this.clock = new VirtualClock(options.wallClock);
    const ramBytes = config.memoryMiB * 1048576;
    this.memory = new PhysicalMemory(ramBytes, { shared: config.sharedMemory ?? typeof SharedArrayBuffer !== "undefined" });
    this.cpu = new CPU(this.memory, this.io, this.clock, { jit: options.jit, jitThreshold: options.jitThreshold });
    this.cpu.onTripleFault = (why) => this.requestReset(`triple fault (${why})`);

    const irqProxy: IrqLines = { setIrq: (line, level) => this.irqTarget?.setIrq(line, level) };
    const baseCtx = {
      io: this.io,
      memory: this.memory,
      irq: irqProxy,
      clock: this.clock,
      log: this.log,
      addTimer: (d: TimedDevice) => this.addTimer(d),
      rescheduleTimer: (d: TimedDevice) => this.rescheduleTimer(d),
      requestReset: (why: string) => this.requestReset(why),
      requestPowerOff: (status: number, why: string) => this.requestPowerOff(status, why),
    };
    this.pciBus = new PciHostBus(baseCtx);
    const ctx: DeviceContext = { ...baseCtx, pci: this.pciBus };

    // The chipset every PC of this model has.
    this.rtc = new RtcCmos(ctx);
    this.interrupts = new InterruptSystem({ ctx, cpu: this.cpu, apic: this.apic, nmiMasked: () => this.rtc.nmiMasked });
    const irqs = this.interrupts;
    this.irqTarget = irqs;
    this.cpu.interruptController = irqs;
    this.cpu.apicBaseMsr = { read: () => irqs.readApicBaseMsr(), write: (v) => irqs.writeApicBaseMsr(v) };
    // Legacy x87 error reporting (CR0.NE=0): FERR# raises IRQ13 until the handler writes port 0xF0.
    this.cpu.onFpuIrq13 = () => irqs.setIrq(13, true);
    this.io.register(0xf0, 1, { out8: () => irqs.setIrq(13, false) }, "fpu-irq13");
    this.pit = new Pit8254(ctx);
    this.systemPorts = new SystemPorts(ctx, { pit: this.pit });
    this.host = new I440fxHost(ctx, { bios: config.bios ?? null });
    this.piix3 = new Piix3Isa(ctx, { bus: this.pciBus });
    this.ide = new IdeController(ctx, ideChannels(config));
    this.acpiPm = new AcpiPm(ctx, {
      hotplug: { occupied: (slot) => this.cardSlots.occupied(slot), eject: (slot) => this.removeCard(slot, "ejected by the guest") },
    });
    this.dma = new Dma8237(ctx);
    this.devices.push(this.interrupts, this.rtc, this.pit, this.systemPorts, this.host, this.piix3, this.ide, this.acpiPm, this.dma);
    this.acpi = buildAcpiTables({
      apic: this.apic,
      pmIoBase: PM_IO_BASE,
      isaDevices: isaDevicesOf(config),
      // PCI memory goes above RAM (256 MiB aligned), up to the I/O APIC.
      pciWindow: { memBase: Math.max(0x10000000, Math.ceil(ramBytes / 0x10000000) * 0x10000000), memLimit: 0xfebfffff },
    });
    // Direct boots have fw_cfg too: under QEMU a `-kernel` guest can read it (CPU count, RAM size).
    const boot = config.boot;
    this.fwCfg = new FwCfg(ctx, {
      ramBytes,
      bootOrder: boot.kind === "firmware" ? boot.order.map((d) => bootPath(config, d)) : [],
      acpi: this.acpi,
    });
    this.devices.push(this.fwCfg);

    this.cardSlots = new PciCardSlots({
      ctx,
      bus: this.pciBus,
      removeDevice: (d) => {
        const i = this.devices.indexOf(d);
        if (i >= 0) this.devices.splice(i, 1);
      },
      removeTimer: (d) => this.removeTimer(d),
      removeNic: (n) => {
        const i = this.nics.indexOf(n);
        if (i >= 0) this.nics.splice(i, 1);
      },
    });
    const site: CardSite = (this.cardSite = {
      ctx,
      config,
      dma: this.dma,
      addDevice: (d) => this.devices.push(d),
      addSerial: (p) => this.serial.push(p),
      setVga: (v) => (this.vga = v),
      setKeyboard: (k) => (this.keyboard = k),
      addDebugcon: (emit) => emit((b) => this.debugconListeners.forEach((l) => l(b))),
      addNic: (nic) => this.nics.push(nic),
    });
    for (const card of config.cards) this.cardSlots.build(card, site, config.cards);
    this.checkDeviceNames();
    this.currentFingerprint = machineFingerprint(config);
    this.powerOn();
  }

  private checkDeviceNames(): void {
    const names = new Set<string>();
    for (const d of this.devices) {
      if (names.has(d.name)) throw new Error(`machine: two devices are named "${d.name}"; snapshots need unique names`);
      names.add(d.name);
    }
  }

  get config(): Readonly<MachineConfig> {
    return this.currentConfig;
  }

  get fingerprint(): string {
    return this.currentFingerprint;
  }

  private setCards(cards: CardConfig[]): void {
    this.currentConfig = { ...this.currentConfig, cards };
    this.currentFingerprint = machineFingerprint(this.currentConfig);
  }

  // ---- PCI hot-plug (ACPI, through the PIIX4 PM function's hot-plug controller) ----

  /** Puts a PCI card (a NIC) into a hot-plug slot of the running machine (its `pciSlot`, or the
   *  first free one) and tells the guest (GPE → device check). The card joins `config` with its
   *  slot, so a machine built from `config` takes this machine's snapshots. Returns the slot. */
  hotplugCard(card: CardConfig): number {
    const wanted = (card as { pciSlot?: unknown }).pciSlot;
    const slot = typeof wanted === "number" ? wanted : this.cardSlots.firstFreeSlot();
    const placed = { ...card, pciSlot: slot } as CardConfig;
    const cards = [...this.currentConfig.cards, placed];
    validateMachineConfig({ ...this.currentConfig, cards });
    if (this.pciBus.hasDevice(slot)) throw new Error(`machine: PCI slot ${slot} is already taken`);
    this.cardSlots.build(placed, this.cardSite, cards, slot);
    try {
      this.checkDeviceNames();
    } catch (e) {
      this.cardSlots.remove(slot);
      throw e;
    }
    this.setCards(cards);
    this.log("info", "machine", `hot-plugged ${cardTypeOf(card).name} into PCI slot ${slot}`);
    this.acpiPm.hotplug.plugged(slot);
    return slot;
  }

  /** Asks the guest to release a plug-in card (by slot, or by its config object from `config`); it
   *  leaves when the guest ejects it (onCardRemoved), or with forceUnplug. */
  requestUnplug(target: number | CardConfig): void {
    const slot = this.cardSlots.slotOf(target);
    this.log("info", "machine", `asked the guest to eject PCI slot ${slot}`);
    this.acpiPm.hotplug.requestUnplug(slot);
  }

  /** Surprise removal: the card leaves at once, whatever the guest is doing with it (its driver
   *  reads all-ones from then on). The slot is not offered again until the machine resets. */
  forceUnplug(target: number | CardConfig): void {
    this.removeCard(this.cardSlots.slotOf(target), "forced removal", true);
  }

  /** Whether an unplug request for the card is still waiting for the guest. */
  unplugPending(target: number | CardConfig): boolean {
    return this.acpiPm.hotplug.unplugPending(this.cardSlots.slotOf(target));
  }

  /** The plug-in PCI cards and their slots. */
  pciCards(): { slot: number; card: CardConfig }[] {
    return this.cardSlots.list();
  }

  onCardRemoved(listener: (card: CardConfig, slot: number, why: string) => void): void {
    this.cardRemovedListeners.push(listener);
  }

  private removeCard(slot: number, why: string, behindGuest = false): void {
    const card = this.cardSlots.remove(slot, behindGuest);
    this.acpiPm.hotplug.emptied(slot);
    this.setCards(this.currentConfig.cards.filter((c) => c !== card));
    this.log("info", "machine", `${cardTypeOf(card).name} left PCI slot ${slot} (${why})`);
    for (const l of this.cardRemovedListeners) l(card, slot, why);
  }

  // ---- Machine API ----

  get state(): MachineRunState {
    return this.runState;
  }
  get stopReason(): string {
    return this.reason;
  }
  get exitStatus(): number | null {
    return this.status;
  }

  onDebugcon(listener: (byte: number) => void): void {
    this.debugconListeners.push(listener);
  }

  onReset(listener: (reason: string) => void): void {
    this.resetListeners.push(listener);
  }

  stats(): MachineStats {
    return {
      instructions: this.cpu.instructionCount,
      interrupts: this.interrupts.counters.delivered,
      io: { ...this.io.counters },
      uptimeNs: this.clock.now(),
    };
  }

  pause(): void {
    this.paused = true;
    this.clock.pause();
  }

  resume(): void {
    this.paused = false;
    if (this.runState === "running" || this.runState === "halted") this.clock.start();
  }

  reset(): void {
    if (this.runState === "crashed" || this.runState === "powered-off") {
      this.runState = "running";
      this.reason = "";
      this.status = null;
    }
    this.hardReset();
  }

  runSlice(policy: SlicePolicy): SliceResult {
    if (this.runState === "powered-off" || this.runState === "crashed") {
      return { executed: 0, reason: this.runState, nextDeadlineNs: Infinity };
    }
    const budget = Math.max(0, Math.floor(policy.maxInstructions));
    const wallLimit = policy.maxWallMs !== undefined && policy.maxWallMs > 0 ? this.clock.wallNow() + policy.maxWallMs : Infinity;
    let executed = 0;
    let idleSkips = 0;
    try {
      if (!this.paused) this.clock.start();
      for (;;) {
        let now = this.settledNow();
        let next = this.runTimersAndHold(now);
        if (this.handlePending()) return this.stopped(executed);
        if (executed >= budget || (wallLimit !== Infinity && executed > 0 && this.clock.wallNow() >= wallLimit)) {
          this.runState = "running";
          return { executed, reason: "budget", nextDeadlineNs: next };
        }
        const chunk = this.chunkSize(budget - executed, next - now);
        const wallBefore = this.clock.wallNow();
        const n = this.cpu.run(chunk);
        executed += n;
        const wallAfter = this.clock.wallNow();
        if (n > 0 && wallAfter > wallBefore) {
          // Host speed from wall time (virtual time may be held at a deadline). Smoothed, so one
          // slow chunk (a GC pause) does not shrink the next ones too much.
          this.instructionsPerNs = this.instructionsPerNs * 0.75 + (n / ((wallAfter - wallBefore) * 1e6)) * 0.25;
        }
        if (this.handlePending()) return this.stopped(executed);
        if (this.cpu.debugStopped) return this.debuggerStop(executed, next);
        if (n === 0 && this.cpu.halted) {
          now = this.settledNow();
          next = this.runTimersAndHold(now);
          if (this.handlePending()) return this.stopped(executed);
          // A timer may just have raised an interrupt: let the CPU look once more before sleeping.
          const woke = this.cpu.run(1);
          if (this.cpu.debugStopped) return this.debuggerStop(executed + woke, next);
          if (woke === 0 && this.cpu.halted) {
            // Skipping is bounded per slice: a guest sleeping with interrupts off would otherwise
            // keep this loop going forever without retiring an instruction.
            if (policy.skipIdle && next !== Infinity && next > now && ++idleSkips <= MAX_IDLE_SKIPS_PER_SLICE) {
              this.clock.advance(next - now);
              continue;
            }
            this.runState = "halted";
            return { executed, reason: "halted", nextDeadlineNs: next };
          }
          executed += 1;
        }
      }
    } catch (e) {
      this.crash(e);
      return { executed, reason: "crashed", nextDeadlineNs: Infinity };
    }
  }

  private chunkSize(remaining: number, untilDeadlineNs: number): number {
    const ipns = this.instructionsPerNs;
    const cap = Math.max(MIN_CHUNK_INSTRUCTIONS, Math.floor(ipns * MAX_CHUNK_NS));
    let chunk = Math.min(remaining, cap);
    if (untilDeadlineNs !== Infinity) chunk = Math.min(chunk, Math.max(MIN_CHUNK_INSTRUCTIONS, Math.ceil(untilDeadlineNs * ipns)));
    return Math.max(1, chunk);
  }

  /** The host debugger stopped the CPU (a breakpoint, watchpoint, step or break-in). */
  private debuggerStop(executed: number, next: number): SliceResult {
    this.runState = "running";
    return { executed, reason: "debugger", nextDeadlineNs: next };
  }

  private stopped(executed: number): SliceResult {
    const reason = this.runState === "crashed" ? "crashed" : "powered-off";
    return { executed, reason, nextDeadlineNs: Infinity };
  }

  /** Applies a reset or power-off the guest asked for. True when the machine stopped. */
  private handlePending(): boolean {
    if (this.pendingPowerOff) {
      const p = this.pendingPowerOff;
      this.pendingPowerOff = null;
      this.runState = "powered-off";
      this.status = p.status;
      this.reason = p.reason;
      this.clock.pause();
      return true;
    }
    if (this.pendingReset !== null) {
      const reason = this.pendingReset;
      this.log("info", "machine", `reset: ${reason}`);
      this.pendingReset = null;
      this.hardReset();
      this.resetCount++;
      for (const l of this.resetListeners) l(reason);
    }
    return false;
  }

  private crash(e: unknown): void {
    this.runState = "crashed";
    const err = e as Error;
    this.reason = `emulator error: ${err?.message ?? String(e)}`;
    let eip = "";
    try {
      const r = this.cpu.getRegisters() as unknown as Record<string, number>;
      eip = ` at cs:eip ${(r.cs ?? 0).toString(16)}:${((r.eip ?? 0) >>> 0).toString(16)}`;
    } catch {
      // registers unavailable: keep the message as is
    }
    this.reason += eip;
    this.log("error", "machine", `${this.reason}\n${err?.stack ?? ""}`);
    this.clock.pause();
  }

  // ---- timers ----

  private addTimer(device: TimedDevice): void {
    if (this.timerDevices.includes(device)) return;
    this.timerDevices.push(device);
    if (this.deadlines.length < this.timerDevices.length) {
      const grown = new Float64Array(this.deadlines.length * 2);
      grown.set(this.deadlines);
      this.deadlines = grown;
    }
    this.deadlines[this.timerDevices.length - 1] = -Infinity;
  }

  private removeTimer(device: TimedDevice): void {
    const i = this.timerDevices.indexOf(device);
    if (i < 0) return;
    this.timerDevices.splice(i, 1);
    this.deadlines.copyWithin(i, i + 1);
  }

  private rescheduleTimer(device: TimedDevice): void {
    const i = this.timerDevices.indexOf(device);
    if (i < 0) return;
    this.deadlines[i] = -Infinity;
    this.cpu.requestStop(); // end the current chunk so the new deadline is seen at once
  }

  /** Virtual now, after dropping wall time that passed beyond the held deadline. */
  private settledNow(): number {
    this.clock.settle();
    return this.clock.now();
  }

  /** Runs due timers and holds virtual time at the earliest next deadline (see VirtualClock.holdAt). */
  private runTimersAndHold(now: number): number {
    const next = this.runTimers(now);
    this.clock.holdAt(next > now ? next : Infinity);
    return next;
  }

  /** Ticks every due device; returns the earliest deadline. */
  private runTimers(now: number): number {
    let next = Infinity;
    const devs = this.timerDevices;
    const dl = this.deadlines;
    for (let i = 0; i < devs.length; i++) {
      if (dl[i] <= now) {
        const d = devs[i].tick(now);
        dl[i] = d === d ? d : Infinity; // NaN from a device must not stall the loop
      }
      if (dl[i] < next) next = dl[i];
    }
    return next;
  }

  private requestReset(reason: string): void {
    if (this.pendingReset === null) this.pendingReset = reason;
    this.cpu.requestStop();
  }

  private requestPowerOff(status: number, reason: string): void {
    this.pendingPowerOff = { status, reason };
    this.cpu.requestStop();
  }

  // ---- power-on, reset, boot ----

  private hardReset(): void {
    this.pciBus.reset();
    this.cardSlots.reset();
    for (const d of this.devices) d.reset();
    this.deadlines.fill(-Infinity, 0, this.timerDevices.length);
    this.powerOn();
  }

  private powerOn(): void {
    this.memory.setA20(true);
    this.cpu.reset();
    this.prefillCmos();
    const boot = this.config.boot;
    if (boot.kind === "firmware") return; // the CPU starts at the reset vector in the BIOS ROM
    this.prepareFirmwarelessPlatform();
    const ramBytes = this.memory.ramSize;
    const e820 = directBootMemoryMap(ramBytes);
    if (boot.kind === "linux") {
      const l = loadLinux(this.memory, {
        kernel: boot.kernel,
        initrd: boot.initrd,
        cmdline: boot.cmdline,
        ramBytes,
        e820,
        vgaText: this.config.cards.some((c) => cardTypeOf(c).console === "vga"),
        acpiRsdpAddr: DIRECT_ACPI_RSDP,
      });
      this.cpu.enterFlatProtectedMode(l.entry, { esi: l.esi, ebx: 0, ebp: 0, edi: 0 });
    } else {
      const m = loadMultiboot(this.memory, { kernel: boot.kernel, cmdline: boot.cmdline, ramBytes, e820 });
      // ESP is undefined by the spec; give kernels that forget to set it a usable low stack anyway.
      this.cpu.enterFlatProtectedMode(m.entry, { eax: m.eax, ebx: m.ebx, esp: 0x7000 });
    }
  }

  /** What SeaBIOS would have done before jumping to a kernel: shadow RAM, PM registers, the BIOS
   *  data area, ACPI, MP and SMBIOS tables. */
  private prepareFirmwarelessPlatform(): void {
    this.host.enableAllShadowRam();
    this.acpiPm.enableAt(PM_IO_BASE);
    this.routePciInterrupts();
    const pciInterrupts: MpPciInterrupt[] = this.pciBus
      .functions()
      .map((f) => ({ device: f.device, pin: f.config[0x3d], irq: f.config[0x3c] }))
      .filter((p) => p.pin !== 0);
    const features = featureFlags(this.cpu);
    const mp = this.apic
      ? {
          cpus: [{ apicId: 0, apicVersion: LAPIC_VERSION & 0xff, signature: CPU_SIGNATURE, features }],
          ioApicId: 0,
          ioApicVersion: IOAPIC_VERSION & 0xff,
          pciInterrupts,
        }
      : null;
    const smbios = { ramBytes: this.memory.ramSize, cpuSignature: CPU_SIGNATURE, cpuFeatures: features };
    writeDirectBootTables(this.memory, { acpi: this.acpi, mp, smbios });
  }

  /** What SeaBIOS's PCI setup does for cards with an interrupt pin: PIRQ A-D → IRQ 10, 10, 11, 11
   *  (the lines the MADT declares level-triggered), each card's interrupt line register set to its
   *  IRQ. The PM function's line is the SCI, set by itself. */
  private routePciInterrupts(): void {
    const irqs = [10, 10, 11, 11];
    const cards = this.pciBus.functions().filter((f) => f !== this.acpiPm.pci && f.config[0x3d] >= 1 && f.config[0x3d] <= 4);
    if (cards.length === 0) return;
    this.pciBus.writeConfig(this.piix3.pci, 0x60, 4, irqs[0] | (irqs[1] << 8) | (irqs[2] << 16) | (irqs[3] << 24));
    for (const f of cards) this.pciBus.writeConfig(f, 0x3c, 1, irqs[PciHostBus.pirqOf(f.device, f.config[0x3d])]);
  }

  /** CMOS contents SeaBIOS/QEMU expect (memory sizes, floppy types, boot order), via the RTC's API. */
  private prefillCmos(): void {
    const rtc = this.rtc;
    rtc.setMemorySizes(this.memory.ramSize);
    rtc.setFloppyTypes(...floppyTypes(this.config));
    const boot = this.config.boot;
    if (boot.kind === "firmware") rtc.setBootOrder(boot.order, true);
    rtc.updateChecksum();
  }

  // ---- snapshots ----

  saveState(): SavedState {
    return saveMachineState(this.snapshotParts());
  }

  loadState(state: SavedState): void {
    restoreMachineState(this.snapshotParts(), state);
    this.pendingReset = null;
    this.pendingPowerOff = null;
    this.deadlines.fill(-Infinity, 0, this.timerDevices.length);
    this.runState = "running";
    this.reason = "";
    this.status = null;
  }

  private snapshotParts() {
    return {
      fingerprint: this.fingerprint,
      memory: this.memory,
      cpu: this.cpu,
      clock: this.clock,
      devices: this.devices,
      pciBus: this.pciBus,
    };
  }

  /** Host-side ACPI power button (a polite shutdown request). */
  pressPowerButton(): void {
    this.acpiPm.pressPowerButton();
  }
}

export interface MachineOptions {
  /** Wall clock for virtual time (tests pass a fake one). */
  wallClock?: () => number;
  log?: Logger;
  /** Block compiler for hot 32-bit code (default on); false = pure interpreter. */
  jit?: boolean;
  /** Executions before a block is compiled (default: the CPU's); 1 compiles everything (tests). */
  jitThreshold?: number;
}

/** The concrete machine type, with the extras tests and the hypervisor use beyond `Machine`. */
export type PcMachineType = PcMachine;

export function createMachine(config: MachineConfig, options: MachineOptions = {}): Machine & PcMachine {
  validateMachineConfig(config);
  return new PcMachine(config, options);
}
