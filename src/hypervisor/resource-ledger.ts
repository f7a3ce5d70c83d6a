// The resource ledger: the host RAM budget and the host's cards. Every VM's memory is reserved here
// before its machine exists, and each card belongs to at most one VM. The hypervisor asks the
// ledger first and only then changes anything, so a refused request leaves no trace.

import { HOST_CARD_TYPES, hostCardSlot, hostCardType, type HostCardKind } from "../emulator/cards/registry.ts";

/** A kind of host card: a card type the host owns (the card types' `host` facts, cards/registry.ts). */
export type CardKind = HostCardKind;

export interface HostCard {
  id: string;
  kind: CardKind;
  label: string;
}

export class LedgerError extends Error {
  override name = "LedgerError";
}

export interface LedgerSummary {
  budgetMiB: number;
  usedMiB: number;
  freeMiB: number;
  reservations: { vmId: string; mib: number }[];
  cards: (HostCard & { owner: string | null })[];
}

/** The default host inventory: each host card type's `perHost` cards (enough display, console and
 *  input cards for four VMs). */
export function defaultHostCards(): HostCard[] {
  const cards: HostCard[] = [];
  for (const t of HOST_CARD_TYPES) {
    for (let n = 1; n <= t.host.perHost; n++) cards.push({ id: `${t.host.idPrefix}-${n}`, kind: t.type, label: t.host.label(n) });
  }
  return cards;
}

export class ResourceLedger {
  private readonly reservations = new Map<string, number>();
  private readonly cards = new Map<string, HostCard>();
  private readonly owners = new Map<string, string>();

  constructor(
    readonly budgetMiB = 1024,
    cards: HostCard[] = defaultHostCards(),
  ) {
    if (!Number.isInteger(budgetMiB) || budgetMiB < 1) throw new LedgerError(`host RAM budget must be a positive whole number of MiB, got ${budgetMiB}`);
    for (const c of cards) {
      if (this.cards.has(c.id)) throw new LedgerError(`card id "${c.id}" appears twice in the host inventory`);
      if (!hostCardType(c.kind)) throw new LedgerError(`card "${c.id}": "${String(c.kind)}" is not a kind of card the host hands out (${HOST_CARD_TYPES.map((t) => t.type).join(", ")})`);
      this.cards.set(c.id, c);
    }
  }

  get usedMiB(): number {
    let sum = 0;
    for (const mib of this.reservations.values()) sum += mib;
    return sum;
  }

  get freeMiB(): number {
    return this.budgetMiB - this.usedMiB;
  }

  reservedBy(vmId: string): number {
    return this.reservations.get(vmId) ?? 0;
  }

  /** Throws a LedgerError saying how much is free when `mib` more (beyond what vmId holds) does not fit. */
  checkMemory(vmId: string, mib: number, what = "VM"): void {
    if (!Number.isInteger(mib) || mib < 1) throw new LedgerError(`${what}: memory must be a positive whole number of MiB, got ${mib}`);
    const free = this.freeMiB + this.reservedBy(vmId);
    if (mib > free) throw new LedgerError(`${what} needs ${mib} MiB, only ${free} MiB free of the ${this.budgetMiB} MiB host budget`);
  }

  /** Reserves (or resizes the reservation to) `mib` for vmId. */
  reserveMemory(vmId: string, mib: number, what = "VM"): void {
    this.checkMemory(vmId, mib, what);
    this.reservations.set(vmId, mib);
  }

  releaseMemory(vmId: string): void {
    this.reservations.delete(vmId);
  }

  card(cardId: string): HostCard {
    const c = this.cards.get(cardId);
    if (!c) throw new LedgerError(`there is no card "${cardId}" on this host`);
    return c;
  }

  ownerOf(cardId: string): string | null {
    this.card(cardId);
    return this.owners.get(cardId) ?? null;
  }

  cardsOf(vmId: string): HostCard[] {
    const out: HostCard[] = [];
    for (const [cardId, owner] of this.owners) if (owner === vmId) out.push(this.card(cardId));
    return out;
  }

  /** Throws unless every card exists and is free or already vmId's, with no duplicates and no two
   *  cards taking the same machine slot (two VGA cards, two COM1s). */
  checkCards(vmId: string, cardIds: readonly string[], what = "VM"): void {
    const seen = new Set<string>();
    const slots = new Map<string, string>();
    for (const id of cardIds) {
      const card = this.card(id);
      if (seen.has(id)) throw new LedgerError(`${what}: card "${id}" is listed twice`);
      seen.add(id);
      const owner = this.owners.get(id);
      if (owner !== undefined && owner !== vmId) throw new LedgerError(`${what}: card "${id}" already belongs to ${owner}`);
      const slot = hostCardSlot(card.kind);
      const other = slots.get(slot);
      if (other !== undefined) throw new LedgerError(`${what}: cards "${other}" and "${id}" both take the machine's ${slot}`);
      slots.set(slot, id);
    }
  }

  /** Makes cardIds exactly vmId's set of cards (releasing the ones it no longer lists). */
  setCards(vmId: string, cardIds: readonly string[], what = "VM"): void {
    this.checkCards(vmId, cardIds, what);
    for (const [cardId, owner] of [...this.owners]) if (owner === vmId) this.owners.delete(cardId);
    for (const id of cardIds) this.owners.set(id, vmId);
  }

  releaseCards(vmId: string): void {
    for (const [cardId, owner] of [...this.owners]) if (owner === vmId) this.owners.delete(cardId);
  }

  /** Moves a card from its current owner (which must be `fromVm`) to `toVm`. */
  moveCard(cardId: string, fromVm: string, toVm: string): void {
    const owner = this.ownerOf(cardId);
    if (owner !== fromVm) throw new LedgerError(`card "${cardId}" belongs to ${owner ?? "no VM"}, not ${fromVm}`);
    if (fromVm === toVm) return;
    const kind = this.card(cardId).kind;
    const slot = hostCardSlot(kind);
    if (this.cardsOf(toVm).some((c) => hostCardSlot(c.kind) === slot)) throw new LedgerError(`${toVm} already has a ${kind} card (${slot})`);
    this.owners.set(cardId, toVm);
  }

  /** A free card of `kind`, or null. */
  freeCard(kind: CardKind): HostCard | null {
    for (const c of this.cards.values()) if (c.kind === kind && !this.owners.has(c.id)) return c;
    return null;
  }

  release(vmId: string): void {
    this.releaseMemory(vmId);
    this.releaseCards(vmId);
  }

  summary(): LedgerSummary {
    return {
      budgetMiB: this.budgetMiB,
      usedMiB: this.usedMiB,
      freeMiB: this.freeMiB,
      reservations: [...this.reservations].map(([vmId, mib]) => ({ vmId, mib })),
      cards: [...this.cards.values()].map((c) => ({ ...c, owner: this.owners.get(c.id) ?? null })),
    };
  }
}
