// Intel 440FX host bridge (PCI 00.0, 8086:1237): the BIOS ROM at the top of 4 GiB, and the PAM
// registers (0x59-0x5F) that decide, per 16 KiB segment of 0xC0000-0xFFFFF, whether reads come from
// RAM or from the ROM/bus and whether writes reach RAM. SeaBIOS's QEMU build starts from the ROM
// alias, turns on shadow RAM (make_bios_writable) and copies itself down.

import type { Device, DeviceContext, PciFunction } from "../../device.ts";
import type { MmioHandler, PhysicalMemory } from "../../memory.ts";
import { StateLayout, type SavedState, typed, u8 } from "../../state.ts";
import { pciConfigHeader } from "./pci-bus.ts";

export const PAM0 = 0x59;
const PAM_COUNT = 7;
const SMRAM = 0x72;
const SHADOW_BASE = 0xc0000;
const SHADOW_SIZE = 0x40000;
const SEGMENT_SHIFT = 14; // 16 KiB
const SEGMENTS = SHADOW_SIZE >>> SEGMENT_SHIFT; // 16
/** The part of the BIOS image that is aliased below 1 MiB (0xE0000-0xFFFFF). */
const LOW_BIOS_SIZE = 0x20000;
const LOW_BIOS_BASE = 0x100000 - LOW_BIOS_SIZE;

const READ_RAM = 1;
const WRITE_RAM = 2;

export interface I440fxOptions {
  /** SeaBIOS image (128 or 256 KiB) or null for direct kernel boot without firmware. */
  bios: Uint8Array | null;
}

export class I440fxHost implements Device {
  readonly name = "i440fx";
  readonly pci: PciFunction;
  /** Per 16 KiB segment of 0xC0000-0xFFFFF: READ_RAM | WRITE_RAM. */
  private readonly segmentMode = new Uint8Array(SEGMENTS);
  private readonly memory: PhysicalMemory;
  private readonly bios: Uint8Array | null;
  private readonly shadow: MmioHandler;

  constructor(ctx: DeviceContext, options: I440fxOptions) {
    this.memory = ctx.memory;
    this.bios = options.bios;
    const config = pciConfigHeader({ vendor: 0x8086, device: 0x1237, classCode: 0x060000, revision: 0x02 });
    config[SMRAM] = 0x02;
    this.pci = {
      name: "i440fx host bridge",
      device: 0,
      fn: 0,
      config,
      configWritten: (offset, size) => {
        if (offset < PAM0 + PAM_COUNT && offset + size > PAM0) this.applyPam();
      },
    };
    ctx.pci.addFunction(this.pci);

    if (this.bios) {
      const rom = this.bios;
      const base = 0x100000000 - rom.length;
      this.memory.mapMmio(base, rom.length, {
        name: "BIOS ROM",
        read8: (addr) => rom[addr - base],
        write8: () => {},
      });
    }
    const ram = this.memory.ram;
    const modes = this.segmentMode;
    this.shadow = {
      name: "shadow ROM/RAM",
      read8: (addr) => {
        if (modes[(addr - SHADOW_BASE) >>> SEGMENT_SHIFT] & READ_RAM) return ram[addr];
        return this.romByte(addr);
      },
      write8: (addr, value) => {
        if (modes[(addr - SHADOW_BASE) >>> SEGMENT_SHIFT] & WRITE_RAM) ram[addr] = value;
      },
    };
    this.applyPam();
  }

  /** What the bus (not RAM) answers below 1 MiB: the BIOS's last 128 KiB at 0xE0000, else nothing. */
  private romByte(addr: number): number {
    const bios = this.bios;
    if (bios && addr >= LOW_BIOS_BASE) return bios[bios.length - LOW_BIOS_SIZE + (addr - LOW_BIOS_BASE)];
    return 0xff;
  }

  /** Firmware-less boots: make all of 0xC0000-0xFFFFF plain read/write RAM, as a BIOS would leave it. */
  enableAllShadowRam(): void {
    for (let i = 0; i < PAM_COUNT; i++) this.pci.config[PAM0 + i] = i === 0 ? 0x30 : 0x33;
    this.applyPam();
  }

  private applyPam(): void {
    const cfg = this.pci.config;
    // PAM0 high nibble: 0xF0000-0xFFFFF (four segments); PAM1..PAM6: two 16 KiB segments each.
    const f = (cfg[PAM0] >>> 4) & 3;
    for (let s = 12; s < 16; s++) this.segmentMode[s] = f;
    for (let i = 1; i < PAM_COUNT; i++) {
      const v = cfg[PAM0 + i];
      this.segmentMode[(i - 1) * 2] = v & 3;
      this.segmentMode[(i - 1) * 2 + 1] = (v >>> 4) & 3;
    }
    // Plain RAM segments are unmapped so the CPU takes its direct RAM path; the rest go through us.
    for (let s = 0; s < SEGMENTS; s++) {
      const base = SHADOW_BASE + (s << SEGMENT_SHIFT);
      if (this.segmentMode[s] === (READ_RAM | WRITE_RAM)) this.memory.unmapMmio(base, 1 << SEGMENT_SHIFT);
      else this.memory.mapMmio(base, 1 << SEGMENT_SHIFT, this.shadow);
    }
  }

  reset(): void {
    // The PCI bus restores the config space (PAM = 0: everything from ROM) before this runs.
    this.pci.config.fill(0, PAM0, PAM0 + PAM_COUNT);
    this.pci.config[SMRAM] = 0x02;
    this.applyPam();
  }

  private static readonly STATE = new StateLayout<I440fxHost>("i440fx", 1, {
    pam: typed(Uint8Array, PAM_COUNT, {
      get: (h: I440fxHost) => h.pci.config.subarray(PAM0, PAM0 + PAM_COUNT),
      set: (h: I440fxHost, v: Uint8Array) => h.pci.config.set(v, PAM0),
    }),
    smram: u8({ get: (h: I440fxHost) => h.pci.config[SMRAM], set: (h: I440fxHost, v: number) => void (h.pci.config[SMRAM] = v) }),
  });

  saveState(): SavedState {
    return I440fxHost.STATE.save(this);
  }

  checkState(state: SavedState): void {
    I440fxHost.STATE.check(state);
  }

  loadState(state: SavedState): void {
    I440fxHost.STATE.load(this, state);
    this.applyPam();
  }
}
