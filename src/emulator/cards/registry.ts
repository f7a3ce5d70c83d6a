// Every card type, and the questions the validator, the machine, the hypervisor and the dashboard
// ask about cards. A new card type is one file in this folder, one entry here and one in
// builders.ts (the compiler asks for the latter once the type is listed here).
// Pure: no device code is imported from here (see card-type.ts).

import type { BootDevice } from "../machine-config.ts";
import type { CardBootFacts, CardType, HostCardFacts } from "./card-type.ts";
import { debugExitCard } from "./debug-exit.ts";
import { debugconCard } from "./debugcon.ts";
import { floppyCard } from "./floppy.ts";
import { ideCdromCard } from "./ide-cdrom.ts";
import { ideDiskCard } from "./ide-disk.ts";
import { ne2kPciCard } from "./ne2k-pci.ts";
import { ps2Card } from "./ps2.ts";
import { serialCard } from "./serial.ts";
import { vgaCard } from "./vga.ts";
import { virtioNetCard } from "./virtio-net.ts";

const TYPES = [serialCard, vgaCard, floppyCard, ideDiskCard, ideCdromCard, ps2Card, debugExitCard, debugconCard, ne2kPciCard, virtioNetCard] as const;

type ConfigOf<T> = T extends CardType<infer C> ? C : never;

/** A card in a MachineConfig (`MachineConfig.cards`): one of the listed types' configs. */
export type CardConfig = ConfigOf<(typeof TYPES)[number]>;
export type CardTypeName = CardConfig["type"];
/** The config of card type T. */
export type CardOf<T extends CardTypeName> = Extract<CardConfig, { type: T }>;

/** Every card type, in this order (the dashboard lists host cards in it). */
export const CARD_TYPES: readonly CardType<CardConfig>[] = TYPES;

const BY_NAME = new Map<string, CardType<CardConfig>>(CARD_TYPES.map((t) => [t.type, t]));

/** The card type named `type`, or undefined when there is none. */
export function findCardType(type: unknown): CardType<CardConfig> | undefined {
  return typeof type === "string" ? BY_NAME.get(type) : undefined;
}

/** The type record of a (validated) card. */
export function cardTypeOf<C extends CardConfig>(card: C): CardType<C> {
  const t = BY_NAME.get(card.type);
  if (!t) throw new TypeError(`unknown card type "${String(card.type)}"`);
  return t as unknown as CardType<C>;
}

// ---- boot media ----

/** A boot device kind, as the hypervisor and the guest catalog call an image's media. */
export type MediaKind = BootDevice;

type BootCardType = CardType<CardConfig> & { boot: CardBootFacts<CardConfig> };

/** The card types that take a bootable image, in registry order. */
export const MEDIA_CARD_TYPES: readonly BootCardType[] = CARD_TYPES.filter((t): t is BootCardType => t.boot !== undefined);

/** The card type that boots `media`, or undefined when no card type does. */
export function mediaCardType(media: unknown): BootCardType | undefined {
  return MEDIA_CARD_TYPES.find((t) => t.boot.device === media);
}

/** The media a file is most likely meant as: by its name ending, then by its size. */
export function guessMedia(fileName: string, size: number): MediaKind {
  const ext = /\.([^.]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? "";
  const taking = MEDIA_CARD_TYPES.filter((t) => t.boot.media.accept.includes(ext));
  const candidates = taking.length ? taking : MEDIA_CARD_TYPES;
  return (candidates.find((t) => size <= (t.boot.media.maxBytes ?? Infinity)) ?? candidates[0]).boot.device;
}

// ---- host cards (hypervisor ledger, dashboard) ----

type HostCardType = CardType<CardConfig> & { host: HostCardFacts<CardConfig> };

/** The card types the host owns and hands out to VMs. */
export const HOST_CARD_TYPES: readonly HostCardType[] = CARD_TYPES.filter((t): t is HostCardType => t.host !== undefined);

/** A kind of host card: the name of a card type the host owns (`hostCardType` says which do). */
export type HostCardKind = CardTypeName;

export function hostCardType(kind: unknown): HostCardType | undefined {
  return HOST_CARD_TYPES.find((t) => t.type === kind);
}

/** The machine card a host card of `kind` becomes (a fresh object each time). */
export function hostMachineCard(kind: string): CardConfig {
  const t = hostCardType(kind);
  if (!t) throw new TypeError(`"${kind}" is not a kind of host card`);
  return { ...t.host.card };
}

/** The machine resource a host card of `kind` takes: a VM holds at most one card per slot. */
export function hostCardSlot(kind: string): string {
  const card = hostMachineCard(kind);
  return cardTypeOf(card).slot(card);
}

/** Host memory a host card of `kind` costs beyond guest RAM. */
export function hostCardMemoryMiB(kind: string): number {
  const card = hostMachineCard(kind);
  return cardTypeOf(card).memoryMiB?.(card) ?? 0;
}

/** The kinds of host card a new VM gets: the default ones, plus those giving the consoles asked for. */
export function defaultCardKinds(consoles: readonly ("serial" | "vga")[] = []): HostCardKind[] {
  return HOST_CARD_TYPES.filter((t) => t.host.byDefault || (t.console !== undefined && consoles.includes(t.console))).map((t) => t.type);
}

/** Which consoles a VM holding host cards of these kinds has. */
export function consolesOf(kinds: readonly string[]): { serial: boolean; vga: boolean } {
  const has = (console: "serial" | "vga") => kinds.some((k) => hostCardType(k)?.console === console);
  return { serial: has("serial"), vga: has("vga") };
}
