// What the two IDE card types (ide-disk, ide-cdrom) share: a place on the PIIX3 IDE function
// (channel, master/slave), its machine slot and its SeaBIOS boot path.

import { configFail } from "../machine-config-error.ts";

export type IdePlace = {
  channel: 0 | 1;
  slave: boolean;
};

export function validateIdePlace(card: IdePlace, at: string): void {
  if (card.channel !== 0 && card.channel !== 1) configFail(`${at}.channel: must be 0 (primary) or 1 (secondary), got ${String(card.channel)}`);
  if (typeof card.slave !== "boolean") configFail(`${at}.slave: must be true or false`);
}

/** Disks and CD-ROMs compete for the same four places. */
export function idePlaceSlot(card: IdePlace): string {
  return `IDE ${card.channel === 0 ? "primary" : "secondary"} ${card.slave ? "slave" : "master"}`;
}

export function ideBootPath(card: IdePlace): string {
  return `/pci@i0cf8/ide@1,1/drive@${card.channel}/disk@${card.slave ? 1 : 0}`;
}
