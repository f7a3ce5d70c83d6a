// What a card type is: everything the machine, the validator, the hypervisor and the dashboard need
// to know about one kind of card (a device the hypervisor hands to at most one VM), in one record
// per type (one file per type in this folder, listed in registry.ts). The records are pure data and
// functions over a card's config: they import no device code, so the hypervisor worker and the UI
// can read them. How a card's device is built is the second export of the same file, collected in
// builders.ts, which only the machine imports.

import type { Device, DeviceContext } from "../device.ts";
import type { Dma8237 } from "../devices/chipset/dma-8237.ts";
import type { AcpiIsaDevice } from "../devices/firmware/acpi-tables.ts";
import type { IdeDeviceSpec } from "../devices/ide/ide-controller.ts";
import type { FloppyType } from "../devices/timers/rtc-cmos.ts";
import type { Keyboard, SerialPort, VgaView } from "../machine-api.ts";
import type { BootDevice, MachineConfig } from "../machine-config.ts";
import type { MachineNic } from "./nic.ts";

/** A card's config: a type tag plus the type's own fields. */
export interface CardConfigBase {
  readonly type: string;
}

/** A card type that the firmware can boot from, and that takes a guest image. */
export interface CardBootFacts<C> {
  /** The boot device kind (`FirmwareBoot.order`, CMOS boot order, uploaded image "media"). */
  device: BootDevice;
  /** SeaBIOS's device path for this card (its "bootorder" fw_cfg file). */
  path(card: C): string;
  /** How a user attaches an image to it (create dialog, guest manifest, `npm run vm`). */
  media: {
    /** What the create dialog offers, e.g. "floppy (A:)". */
    label: string;
    /** File name endings (without the dot) the file picker offers for it. */
    accept: readonly string[];
    /** Largest image it takes, when there is a limit (used to guess the media of a file). */
    maxBytes?: number;
    /** Names a guest manifest uses for this media: image field names and recipe kinds. */
    manifestNames: readonly string[];
    /** The card that holds `image` when a VM boots from this media. */
    card(image: Uint8Array): C;
  };
}

/** A card type the host owns in some number and the hypervisor hands to VMs. */
export interface HostCardFacts<C> {
  /** Host card ids are `${idPrefix}-${n}`, n from 1. */
  idPrefix: string;
  /** How many the default host inventory has. */
  perHost: number;
  /** The dashboard's label of host card n. */
  label(n: number): string;
  /** The machine card a host card of this kind becomes. */
  card: C;
  /** A new VM gets one unless the user picks its cards. */
  byDefault: boolean;
}

export interface CardType<C extends CardConfigBase> {
  readonly type: C["type"];
  /** What a user calls it in messages, e.g. "serial port". */
  readonly name: string;
  /** Checks the card's own fields (its type tag already matched); throws MachineConfigError naming
   *  the field under `at` (e.g. "cards[2]"). */
  validate(card: C, at: string, config: MachineConfig): void;
  /** The machine resource the card takes ("serial COM1", "IDE primary master"): two cards of one
   *  machine never share one, and a host card may not move to a VM that already has its slot. */
  slot(card: C): string;
  /** What the ACPI DSDT lists for it on the ISA bus (devices listed twice are listed once). */
  isaDevices?(card: C): readonly AcpiIsaDevice[];
  /** Drive on the chipset's PIIX3 IDE function. */
  ideDrive?(card: C): { channel: 0 | 1; slave: boolean; spec: IdeDeviceSpec };
  /** CMOS floppy drive type (register 0x10) for the drive it is. */
  cmosFloppy?(card: C): { drive: 0 | 1; type: FloppyType };
  boot?: CardBootFacts<C>;
  /** The console it gives the VM's panel (and, for "vga", the text screen a direct Linux boot reports). */
  console?: "serial" | "vga";
  /** Host memory its device uses beyond guest RAM (the hypervisor's RAM budget counts it). */
  memoryMiB?(card: C): number;
  host?: HostCardFacts<C>;
}

/** What a card's device builder gets: the device context plus the machine pieces some cards need. */
export interface CardSite {
  ctx: DeviceContext;
  config: MachineConfig;
  dma: Dma8237;
  addDevice(device: Device): void;
  addSerial(port: SerialPort): void;
  setVga(view: VgaView): void;
  setKeyboard(keyboard: Keyboard): void;
  addDebugcon(emit: (listener: (byte: number) => void) => void): void;
  addNic(nic: MachineNic): void;
}

/** Builds a card's device. `sameType` lists every card of its type in the config, in order (cards
 *  that share one controller build it once). Null: the device is part of the chipset. */
export type CardBuilder<C> = ((site: CardSite, card: C, sameType: readonly C[]) => void) | null;

/** The config of a card type with no fields of its own: only its type tag. */
export type PlainCard<T extends string> = { type: T };

/** The type record of a card with no fields of its own: nothing to validate, and at most one per
 *  machine (its slot is its type). `facts` adds the optional facts (ISA devices, host inventory). */
export function plainCardType<T extends string>(
  type: T,
  name: string,
  facts: Omit<CardType<PlainCard<T>>, "type" | "name" | "validate" | "slot"> = {},
): CardType<PlainCard<T>> {
  return { type, name, validate() {}, slot: () => type, ...facts };
}
