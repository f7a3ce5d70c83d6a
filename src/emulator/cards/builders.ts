// How each card type's device is built (the second export of each card type's file). Only the
// machine imports this: it pulls in the device code, which the hypervisor and the UI do not need.

import type { CardBuilder, CardSite } from "./card-type.ts";
import { buildDebugExit } from "./debug-exit.ts";
import { buildDebugcon } from "./debugcon.ts";
import { buildFloppy } from "./floppy.ts";
import { buildIdeCdrom } from "./ide-cdrom.ts";
import { buildIdeDisk } from "./ide-disk.ts";
import { buildNe2kPci } from "./ne2k-pci.ts";
import { buildPs2 } from "./ps2.ts";
import type { CardConfig, CardOf, CardTypeName } from "./registry.ts";
import { buildSerial } from "./serial.ts";
import { buildVga } from "./vga.ts";
import { buildVirtioNet } from "./virtio-net.ts";

const BUILDERS: { [T in CardTypeName]: CardBuilder<CardOf<T>> } = {
  serial: buildSerial,
  vga: buildVga,
  floppy: buildFloppy,
  "ide-disk": buildIdeDisk,
  "ide-cdrom": buildIdeCdrom,
  ps2: buildPs2,
  "debug-exit": buildDebugExit,
  debugcon: buildDebugcon,
  "ne2k-pci": buildNe2kPci,
  "virtio-net": buildVirtioNet,
};

/** Builds the devices of the config's cards, in the config's order. */
export function buildCards(site: CardSite, cards: readonly CardConfig[]): void {
  for (const card of cards) buildCard(site, card, cards);
}

/** Builds one card's device; `cards` is every card of the machine (cards of one type may share it). */
export function buildCard(site: CardSite, card: CardConfig, cards: readonly CardConfig[]): void {
  const build = BUILDERS[card.type] as CardBuilder<CardConfig> | undefined;
  if (build === undefined) throw new TypeError(`card type "${card.type}" has no device builder`);
  build?.(site, card, cards.filter((c) => c.type === card.type));
}
