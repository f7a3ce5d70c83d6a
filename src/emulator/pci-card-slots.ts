// The machine's plug-in PCI cards (NICs): which hot-plug slot each sits in and everything its
// devices claimed, so that a card can leave a running machine cleanly (guest eject or surprise
// removal): off the PCI bus (its BARs and ROM stop decoding, its INTx is released), its other ports
// and MMIO pages freed, its IRQ lines lowered, its timers and devices dropped from the machine.
//
// A plug-in card is one whose PCI functions sit in a hot-plug slot (its config's `pciSlot`). Every
// card is built through a recording site: its DeviceContext is the machine's, except that PCI
// functions, timers and IRQ lines pass through this record, and a removed card's late calls are
// ignored. Ports and MMIO pages claimed outside BARs are found by comparing the buses before and
// after the card's build (BAR mappings come and go through onMap and are undone by the bus).

import type { TimedDevice } from "./clock.ts";
import { buildCard } from "./cards/builders.ts";
import type { CardSite } from "./cards/card-type.ts";
import type { MachineNic } from "./cards/nic.ts";
import type { CardConfig } from "./cards/registry.ts";
import type { Device, DeviceContext, PciFunction } from "./device.ts";
import type { PciHostBus } from "./devices/chipset/pci-bus.ts";
import { FIRST_HOTPLUG_SLOT, isHotplugSlot, LAST_HOTPLUG_SLOT } from "./devices/chipset/pci-hotplug.ts";
import { PAGE_SHIFT, PAGE_SIZE } from "./memory.ts";

/** What the machine lends the card slots. */
export interface CardSlotHost {
  /** The machine's device context (its `pci` is the bus). */
  ctx: DeviceContext;
  bus: PciHostBus;
  removeDevice(device: Device): void;
  removeTimer(device: TimedDevice): void;
  removeNic(nic: MachineNic): void;
}

interface PluggedCard {
  card: CardConfig;
  slot: number;
  devices: Device[];
  functions: PciFunction[];
  timers: TimedDevice[];
  /** Ports claimed outside BARs, with their owner. */
  ports: [number, string][];
  /** MMIO pages claimed outside BARs, with the handler index they got. */
  pages: [number, number][];
  /** ISA/GSI lines the card's devices hold high. */
  irqHigh: Set<number>;
  nics: MachineNic[];
  detached: boolean;
}

interface BusSnapshot {
  owners: (string | undefined)[];
  pages: Uint16Array;
}

export class PciCardSlots {
  private readonly cards = new Map<number, PluggedCard>();
  /** Slots emptied behind the guest's back: the guest may still list the card that was there (a
   *  new card in that slot would look like the old one to it), so they are not offered until the
   *  machine resets. */
  private readonly stale = new Set<number>();

  constructor(private readonly host: CardSlotHost) {}

  /** Builds `card` (one of `all`, the machine's cards) through `site`. Returns the hot-plug slot it
   *  took, or -1 for a card that is not a plug-in PCI card. A card that fails to build leaves
   *  nothing behind. `hotplugSlot`: the card is being hot-plugged into this slot; refuse (and undo)
   *  a card that does not end up there. */
  build(card: CardConfig, site: CardSite, all: readonly CardConfig[], hotplugSlot = -1): number {
    const rec: PluggedCard = { card, slot: -1, devices: [], functions: [], timers: [], ports: [], pages: [], irqHigh: new Set(), nics: [], detached: false };
    // Hot-plugged cards are compared from the start; cold ones from their first PCI function on
    // (devices add it before claiming anything else), so cards without one cost no bus scan.
    let before: BusSnapshot | null = hotplugSlot >= 0 ? this.snapshot() : null;
    const base = this.host.ctx;
    const ctx: DeviceContext = {
      ...base,
      irq: {
        setIrq: (line, level) => {
          if (rec.detached) return;
          if (level) rec.irqHigh.add(line);
          else rec.irqHigh.delete(line);
          base.irq.setIrq(line, level);
        },
      },
      pci: {
        addFunction: (fn) => {
          before ??= this.snapshot();
          this.host.bus.addFunction(fn);
          rec.functions.push(fn);
        },
        setIntx: (fn, level) => {
          if (!rec.detached) this.host.bus.setIntx(fn, level);
        },
      },
      addTimer: (d) => {
        rec.timers.push(d);
        base.addTimer(d);
      },
      rescheduleTimer: (d) => {
        if (!rec.detached) base.rescheduleTimer(d);
      },
    };
    const cardSite: CardSite = {
      ...site,
      ctx,
      addDevice: (d) => {
        rec.devices.push(d);
        site.addDevice(d);
      },
      addNic: (nic) => {
        rec.nics.push(nic);
        site.addNic(nic);
      },
    };
    if (hotplugSlot >= 0) {
      // Consoles and input devices are not plug-in cards: refuse before the machine takes them.
      const refuse = () => {
        throw new Error(`card type "${card.type}" is not a PCI card; only PCI cards can be hot-plugged`);
      };
      Object.assign(cardSite, { addSerial: refuse, setVga: refuse, setKeyboard: refuse, addDebugcon: refuse });
    }
    try {
      buildCard(cardSite, card, all);
      const devices = new Set(rec.functions.map((f) => f.device));
      if (devices.size === 1 && rec.functions.every((f) => isHotplugSlot(f.device))) rec.slot = rec.functions[0].device;
      if (hotplugSlot >= 0 && rec.slot !== hotplugSlot) {
        throw new Error(rec.slot < 0 ? `card type "${card.type}" is not a PCI card; only PCI cards can be hot-plugged` : `machine: card went to PCI slot ${rec.slot}, not ${hotplugSlot}`);
      }
    } catch (e) {
      if (before) this.recordClaims(rec, before);
      this.release(rec);
      throw e;
    }
    if (rec.slot < 0) return -1;
    this.recordClaims(rec, before!);
    this.cards.set(rec.slot, rec);
    return rec.slot;
  }

  occupied(slot: number): boolean {
    return this.cards.has(slot);
  }

  /** The cards in hot-plug slots, by slot. */
  list(): { slot: number; card: CardConfig }[] {
    return [...this.cards.values()].sort((a, b) => a.slot - b.slot).map((r) => ({ slot: r.slot, card: r.card }));
  }

  /** The slot of a card given by slot number or by its config object. */
  slotOf(target: number | CardConfig): number {
    if (typeof target === "number") {
      if (!this.cards.has(target)) throw new Error(`machine: PCI slot ${target} holds no removable card`);
      return target;
    }
    for (const r of this.cards.values()) if (r.card === target) return r.slot;
    throw new Error(`machine: card "${String((target as { type?: unknown })?.type)}" is not a plug-in card of this machine`);
  }

  /** Takes the card in `slot` off the machine; returns its config. `behindGuest`: the guest was not
   *  asked (surprise removal). */
  remove(slot: number, behindGuest = false): CardConfig {
    const rec = this.cards.get(slot);
    if (!rec) throw new Error(`machine: PCI slot ${slot} holds no removable card`);
    this.cards.delete(slot);
    if (behindGuest) this.stale.add(slot);
    this.release(rec);
    return rec.card;
  }

  /** The first hot-plug slot no function answers in (and no forced removal left stale). */
  firstFreeSlot(): number {
    for (let s = FIRST_HOTPLUG_SLOT; s <= LAST_HOTPLUG_SLOT; s++) if (!this.host.bus.hasDevice(s) && !this.stale.has(s)) return s;
    throw new Error(`machine: every PCI slot (${FIRST_HOTPLUG_SLOT}-${LAST_HOTPLUG_SLOT}) is taken`);
  }

  /** After a machine reset the guest enumerates the bus afresh. */
  reset(): void {
    this.stale.clear();
  }

  private snapshot(): BusSnapshot {
    const io = this.host.ctx.io;
    const owners: (string | undefined)[] = new Array(0x10000);
    for (let p = 0; p < 0x10000; p++) owners[p] = io.ownerOf(p);
    return { owners, pages: this.host.ctx.memory.pageHandler.slice() };
  }

  private recordClaims(rec: PluggedCard, before: BusSnapshot): void {
    const io = this.host.ctx.io;
    for (let p = 0; p < 0x10000; p++) {
      const owner = io.ownerOf(p);
      if (owner !== undefined && owner !== before.owners[p]) rec.ports.push([p, owner]);
    }
    const pages = this.host.ctx.memory.pageHandler;
    for (let i = 0; i < pages.length; i++) if (pages[i] !== 0 && pages[i] !== before.pages[i]) rec.pages.push([i, pages[i]]);
  }

  private release(rec: PluggedCard): void {
    rec.detached = true;
    const { ctx, bus } = this.host;
    for (const fn of rec.functions) bus.removeFunction(fn);
    for (const [port, owner] of rec.ports) if (ctx.io.ownerOf(port) === owner) ctx.io.unregister(port, 1, owner);
    for (const [page, handler] of rec.pages) {
      if (ctx.memory.pageHandler[page] === handler) ctx.memory.unmapMmio(page << PAGE_SHIFT >>> 0, PAGE_SIZE);
    }
    for (const line of rec.irqHigh) ctx.irq.setIrq(line, false);
    rec.irqHigh.clear();
    for (const t of rec.timers) this.host.removeTimer(t);
    for (const n of rec.nics) this.host.removeNic(n);
    for (const d of rec.devices) this.host.removeDevice(d);
  }
}
