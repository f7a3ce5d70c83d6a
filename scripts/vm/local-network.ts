// Machines of this Node process on virtual networks: each machine's network cards are linked to a
// NetworkHub through the same shared-memory rings a guest worker uses (src/hypervisor/net/), so a
// Node run exercises the browser's data path; pump() does what the hypervisor worker's serve() and
// the guest runner's loop do there.

import type { Machine } from "../../src/emulator/machine-api.ts";
import { linkNics, type GuestNicLink } from "../../src/hypervisor/net/guest-nic-link.ts";
import { DEFAULT_NETWORK, NetworkHub } from "../../src/hypervisor/net/network-hub.ts";
import { nicPlugsOf } from "../../src/hypervisor/net/nic-plugs.ts";

export class LocalNetwork {
  readonly hub = new NetworkHub();
  private links: GuestNicLink[] = [];

  /** Plugs the machine's cards into networks (`networks[i]` for card i, default "lan"); `name`
   *  is the machine's name on its networks (DNS answers it). */
  plug(machine: Machine, name: string, networks: readonly string[] = []): void {
    const plugs = nicPlugsOf(machine.config, (i) => networks[i] ?? DEFAULT_NETWORK);
    const channels = this.hub.plugVm(name, name, plugs);
    this.links.push(...linkNics(machine.nics ?? [], channels));
  }

  /** Moves frames cards → switches → cards; returns how many moved. */
  pump(): number {
    let moved = this.hub.pump();
    for (const link of this.links) moved += link.pump();
    return moved;
  }
}
