// The administrator's setup, remembered in localStorage: the catalog VMs with their RAM, share,
// cap and kinds of cards. Opening the page restores it; with no saved setup the hypervisor boots
// the default pair. (Uploaded images are not kept: they would need the user's file again.)

import type { Remote } from "comlink";
import type { CardKind, HypervisorApi, VmInfo } from "../hypervisor/hypervisor-api.ts";

const KEY = "hypertab.setup.v1";

interface SavedVm {
  name: string;
  guestId: string;
  memoryMiB: number;
  share: number;
  capPercent: number;
  cardKinds: CardKind[];
}

function load(): SavedVm[] {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? "[]") as unknown;
    if (!Array.isArray(raw)) return [];
    return raw.filter(
      (v): v is SavedVm =>
        typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.guestId === "string" &&
        Number.isInteger(v.memoryMiB) && Number.isInteger(v.share) && Number.isInteger(v.capPercent) && Array.isArray(v.cardKinds),
    );
  } catch {
    return [];
  }
}

/** Restores the saved setup, or boots the defaults when there is none. */
export async function restoreSetup(hv: Remote<HypervisorApi>): Promise<string[]> {
  const saved = load();
  if (saved.length === 0) {
    await hv.createDefaultVms();
    return [];
  }
  const problems: string[] = [];
  for (const v of saved) {
    try {
      const cards = await hv.freeCards(v.cardKinds);
      await hv.createVm({ name: v.name, guest: { kind: "catalog", guestId: v.guestId }, memoryMiB: v.memoryMiB, share: v.share, capPercent: v.capPercent, cards }, true);
    } catch (e) {
      problems.push(`${v.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return problems;
}

/** Remembers the catalog VMs (call after every refresh; writes only on change). */
export function saveSetup(vms: VmInfo[]): void {
  const list: SavedVm[] = [];
  for (const vm of vms) {
    const guestId = vm.guestId;
    if (!guestId) continue;
    list.push({ name: vm.name, guestId, memoryMiB: vm.memoryMiB, share: vm.share, capPercent: vm.capPercent, cardKinds: vm.cards.map((c) => c.kind) });
  }
  const text = JSON.stringify(list);
  try {
    if (localStorage.getItem(KEY) !== text) localStorage.setItem(KEY, text);
  } catch {
    // storage full or disabled: the setup is simply not remembered
  }
}
