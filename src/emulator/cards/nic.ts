// What the two network card types (ne2k-pci, virtio-net) share: their config (MAC, link state, PCI
// slot), its validation, the machine slot they take and how their device joins the machine.

import type { Device, DeviceContext } from "../device.ts";
import { defaultMac, formatMac, macProblem, parseMac } from "../devices/net/mac-address.ts";
import type { NicPort } from "../devices/net/nic-port.ts";
import { configFail } from "../machine-config-error.ts";
import type { CardBuilder, CardType } from "./card-type.ts";
import { FIRST_HOTPLUG_SLOT } from "../devices/chipset/pci-hotplug.ts";

export type NicModel = "ne2k-pci" | "virtio-net";

export type NicFields = {
  /** "52:54:00:12:34:56": a unicast address; default derived from `id`, else from the model and
   *  PCI slot (give each NIC on one switch its own). */
  mac?: string;
  /** Cable plugged in; default true. */
  linkUp?: boolean;
  /** PCI device number on bus 0 (3-31); default the model's slot. */
  pciSlot?: number;
  /** What the machine's `nics` list calls it (e.g. the host card id); default "<model>@<slot>". */
  id?: string;
};

/** A NIC as the machine lists it (`Machine.nics`). */
export interface MachineNic {
  card: string;
  model: NicModel;
  port: NicPort;
}

const FIRST_SLOT = FIRST_HOTPLUG_SLOT; // 0 = host bridge, 1 = PIIX3, 2 = VGA

export function validateNic(card: NicFields, at: string): void {
  if (card.mac !== undefined) {
    const wrong = macProblem(card.mac);
    if (wrong) configFail(`${at}.mac: ${wrong}`);
  }
  if (card.linkUp !== undefined && typeof card.linkUp !== "boolean") configFail(`${at}.linkUp: must be true or false`);
  const s = card.pciSlot;
  if (s !== undefined && (!Number.isInteger(s) || s < FIRST_SLOT || s > 31)) configFail(`${at}.pciSlot: must be an integer ${FIRST_SLOT}-31, got ${String(s)}`);
  if (card.id !== undefined && (typeof card.id !== "string" || card.id === "")) configFail(`${at}.id: must be a non-empty string`);
}

export function nicPciSlot(card: NicFields, model: NicModel): number {
  return card.pciSlot ?? (model === "ne2k-pci" ? FIRST_SLOT : FIRST_SLOT + 1);
}

/** NICs take a PCI slot; two cards never share one. */
export function nicSlot(card: NicFields, model: NicModel): string {
  return `PCI slot ${nicPciSlot(card, model)}`;
}

/** The facts a NIC's device is built from. */
export function nicSetup(card: NicFields, model: NicModel): { name: string; id: string; pciDevice: number; mac: Uint8Array; linkUp: boolean } {
  const pciDevice = nicPciSlot(card, model);
  const name = `${model}@${pciDevice}`;
  const mac = card.mac !== undefined ? parseMac(card.mac)! : defaultMac(card.id ?? name);
  return { name, id: card.id ?? name, pciDevice, mac, linkUp: card.linkUp ?? true };
}

/** The MAC a NIC card has (its own or the default), for display. */
export function nicMac(card: NicFields, model: NicModel): string {
  return formatMac(nicSetup(card, model).mac);
}

/** The type record of a NIC model's card. */
export function nicCardType<T extends NicModel>(model: T, name: string): CardType<NicFields & { type: T }> {
  return { type: model, name, validate: (card, at) => validateNic(card, at), slot: (card) => nicSlot(card, model) };
}

type NicSetup = ReturnType<typeof nicSetup>;

/** The builder of a NIC model's card: its device, listed with the machine's devices and NICs. */
export function nicBuilder<T extends NicModel>(model: T, make: (ctx: DeviceContext, setup: NicSetup) => Device & { wire: NicPort }): CardBuilder<NicFields & { type: T }> {
  return (site, card) => {
    const s = nicSetup(card, model);
    const nic = make(site.ctx, s);
    site.addDevice(nic);
    site.addNic({ card: s.id, model, port: nic.wire });
  };
}
