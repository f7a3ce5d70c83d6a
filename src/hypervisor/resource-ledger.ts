// The resource ledger: the host RAM budget and the host's cards. Every VM's memory is reserved here
// before its machine exists, and each card belongs to at most one VM. The hypervisor asks the
// ledger first and only then changes anything, so a refused request leaves no trace.

export type CardKind = "vga" | "serial" | "ps2" | "debugcon";

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

/** The default host inventory: enough display, console and input cards for four VMs. */
export function defaultHostCards(): HostCard[] {
  const cards: HostCard[] = [];
  for (let i = 1; i <= 4; i++) {
    cards.push({ id: `vga-${i}`, kind: "vga", label: `VGA display ${i} (Bochs VBE, 16 MiB)` });
    cards.push({ id: `com-${i}`, kind: "serial", label: `Serial console ${i} (16550A as COM1)` });
    cards.push({ id: `ps2-${i}`, kind: "ps2", label: `PS/2 keyboard + mouse ${i}` });
  }
  cards.push({ id: "debugcon-1", kind: "debugcon", label: "Debug console (port 0xE9)" });
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

  /** Throws unless every card exists and is free or already vmId's, with no duplicates. */
  checkCards(vmId: string, cardIds: readonly string[], what = "VM"): void {
    const seen = new Set<string>();
    for (const id of cardIds) {
      this.card(id);
      if (seen.has(id)) throw new LedgerError(`${what}: card "${id}" is listed twice`);
      seen.add(id);
      const owner = this.owners.get(id);
      if (owner !== undefined && owner !== vmId) throw new LedgerError(`${what}: card "${id}" already belongs to ${owner}`);
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
    const target = this.cardsOf(toVm);
    const kind = this.card(cardId).kind;
    if (target.some((c) => c.kind === kind)) throw new LedgerError(`${toVm} already has a ${kind} card`);
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
