// The machine description an administrator (or the Node runner) writes; the machine is assembled
// from it. Validation lives in machine-config-validate.ts and names what is wrong.

import type { CardConfig } from "./cards/registry.ts";

export type BootDevice = "floppy" | "disk" | "cdrom";

export interface DirectLinuxBoot {
  kind: "linux";
  kernel: Uint8Array; // bzImage
  initrd?: Uint8Array;
  cmdline: string;
}

export interface MultibootBoot {
  kind: "multiboot";
  kernel: Uint8Array; // Multiboot v1 ELF (or a.out-kludge) image
  cmdline: string;
}

export interface FirmwareBoot {
  kind: "firmware";
  order: BootDevice[];
}

export type BootRecipe = DirectLinuxBoot | MultibootBoot | FirmwareBoot;

/** A card is a device the hypervisor hands to at most one VM. Each card type's config shape and
 *  facts live in its own file in cards/, listed in cards/registry.ts. */
export type { CardConfig };

export interface MachineConfig {
  /** Guest RAM in MiB. */
  memoryMiB: number;
  /** SeaBIOS bios.bin and vgabios-stdvga.bin; required for firmware boot, optional for direct boot. */
  bios?: Uint8Array;
  vgaBios?: Uint8Array;
  boot: BootRecipe;
  cards: CardConfig[];
  /** Use SharedArrayBuffer for RAM (workers); default true where available. */
  sharedMemory?: boolean;
  /** Local APIC + I/O APIC (Linux uses the APIC timer when present). Default true. */
  apic?: boolean;
}
