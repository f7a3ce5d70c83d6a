// The hypervisor's networks: named virtual switches (each with its own host for ARP, DHCP, DNS and
// ping, switch-services.ts), the ports of the VMs' network cards on them, and the pump that moves
// frames between each card's shared-memory rings (shared-layout.ts NicChannels) and its switch port.
// Plain TypeScript: the hypervisor worker runs serve(); Node tests call pump() between slices.

import { createNicChannels, NicSt, type NicChannels } from "../shared-layout.ts";
import { SpscFrameRing, type Doorbell } from "../spsc-ring.ts";
import { formatMac } from "./ethernet.ts";
import { DEFAULT_SUBNET, isHostLabel, type Lease, type Subnet } from "./dhcp-server.ts";
import { PacketCapture } from "./packet-capture.ts";
import { SwitchServices } from "./switch-services.ts";
import { VirtualSwitch, type PortCounters, type SwitchPort } from "./virtual-switch.ts";
import { ipToString } from "./ipv4.ts";

/** One network card of a VM, as the hypervisor plugs it. */
export interface NicPlug {
  /** Network (switch) name. */
  network: string;
  /** The card's MAC, when the configuration says it: DNS then answers for the VM's name. */
  mac?: Uint8Array;
}

export interface PortInfo {
  name: string;
  vmId: string | null;
  mac: string | null;
  counters: PortCounters;
  /** Frames the guest's card sent that its full ring to the switch could not take. */
  guestTxDropped: number;
  /** Frames the guest's card refused (its receive buffer was full). */
  guestRxRefused: number;
}

export interface NetworkInfo {
  name: string;
  /** e.g. "10.0.2.0/24". */
  subnet: string;
  gateway: string;
  ports: PortInfo[];
  leases: Lease[];
  forwarded: number;
  capturing: boolean;
}

interface Network {
  sw: VirtualSwitch;
  services: SwitchServices;
}

interface CardPort {
  vmId: string;
  mac: Uint8Array | null;
  network: Network;
  port: SwitchPort;
  toSwitch: SpscFrameRing;
  stats: Int32Array;
}

export const DEFAULT_NETWORK = "lan";
const MAX_NETWORKS = 16;
/** Frames taken from one card's ring per pump (its switch port's queue bounds it too). */
const FRAMES_PER_CARD = 64;
const IDLE_WAIT_MS = 50;

/** A network name: what the dashboard and `--nic net=NAME` accept. */
export function checkNetworkName(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/i.test(name)) throw new RangeError(`network name must be 1-32 letters, digits or "-", got "${name}"`);
  return name.toLowerCase();
}

/** A VM name made into a host name DNS can answer for, or null when nothing usable is left. */
export function hostNameFor(vmName: string): string | null {
  const name = vmName.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return isHostLabel(name) ? name : null;
}

export class NetworkHub {
  /** The switch side's doorbell: every card's ring to the switch rings it. */
  readonly bell = new SharedArrayBuffer(4);
  private readonly bellWords = new Int32Array(this.bell);
  private readonly networks = new Map<string, Network>();
  private readonly cards: CardPort[] = [];
  private readonly now: () => number;

  constructor(options: { now?: () => number; subnet?: Subnet } = {}) {
    this.now = options.now ?? (() => Date.now());
    this.subnet = options.subnet ?? DEFAULT_SUBNET;
  }

  private readonly subnet: Subnet;

  /** The network of that name, made on first use. */
  network(name: string): Network {
    const key = checkNetworkName(name);
    let n = this.networks.get(key);
    if (!n) {
      if (this.networks.size >= MAX_NETWORKS) throw new RangeError(`at most ${MAX_NETWORKS} networks`);
      const sw = new VirtualSwitch(key, { now: this.now });
      n = { sw, services: new SwitchServices(sw, this.subnet) };
      this.networks.set(key, n);
    }
    return n;
  }

  /** Plugs a VM's cards into their networks; returns each card's channels (for its guest worker).
   *  `guestBell` is the guest's doorbell, rung when frames arrive for it. */
  plugVm(vmId: string, vmName: string, plugs: readonly NicPlug[], guestBell?: Doorbell): NicChannels[] {
    this.unplugVm(vmId);
    const host = hostNameFor(vmName);
    return plugs.map((plug, i) => {
      const network = this.network(plug.network);
      const channels = createNicChannels(this.bell);
      const toGuest = SpscFrameRing.attach(channels.toGuest);
      if (guestBell) toGuest.setDoorbell(guestBell);
      const port = network.sw.attach({ name: `${vmName} eth${i}`, deliver: (frame) => toGuest.push(frame) });
      const mac = plug.mac ?? null;
      // The first card answers to the VM's name, further cards to name-ethN.
      if (mac && host) network.services.dhcp.setName(mac, i === 0 ? host : `${host}-eth${i}`.slice(0, 63));
      this.cards.push({ vmId, mac, network, port, toSwitch: SpscFrameRing.attach(channels.toSwitch), stats: new Int32Array(channels.stats) });
      return channels;
    });
  }

  /** Unplugs every card of a VM (it stopped); its leases stay until they expire, like a DHCP server's. */
  unplugVm(vmId: string): void {
    for (let i = this.cards.length - 1; i >= 0; i--) {
      const c = this.cards[i]!;
      if (c.vmId !== vmId) continue;
      c.network.sw.detach(c.port);
      this.cards.splice(i, 1);
    }
  }

  /** Moves frames from the cards' rings into the switches and forwards them; returns how many
   *  frames moved. */
  pump(): number {
    let moved = 0;
    for (const c of this.cards) {
      const q = c.port.queue;
      // Frames wait in the ring while the port's queue is full: the ring then fills and the guest
      // side drops (and counts) what does not fit.
      for (let n = 0; n < FRAMES_PER_CARD && q.length < q.maxFrames; n++) {
        const frame = c.toSwitch.pop();
        if (!frame) break;
        c.port.send(frame);
        moved++;
      }
    }
    for (const n of this.networks.values()) moved += n.sw.pump();
    return moved;
  }

  /** Runs pump() whenever a card sends (waiting on the doorbell in between) until stopped. For the
   *  hypervisor worker: it yields to its event loop between rounds. */
  serve(): () => void {
    let stopped = false;
    const waitAsync = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;
    const loop = async () => {
      while (!stopped) {
        const seen = Atomics.load(this.bellWords, 0);
        if (this.pump() > 0) {
          await new Promise((r) => setTimeout(r, 0));
          continue;
        }
        if (waitAsync) {
          const r = waitAsync(this.bellWords, 0, seen, IDLE_WAIT_MS);
          if (r.async) await r.value;
        } else await new Promise((r) => setTimeout(r, 1));
      }
    };
    void loop();
    return () => {
      stopped = true;
      Atomics.add(this.bellWords, 0, 1);
      Atomics.notify(this.bellWords, 0);
    };
  }

  private portInfo(p: SwitchPort): PortInfo {
    const c = this.cards.find((x) => x.port === p);
    return {
      name: p.name,
      vmId: c?.vmId ?? null,
      mac: c?.mac ? formatMac(c.mac) : null,
      counters: { ...p.counters },
      guestTxDropped: c ? Atomics.load(c.stats, NicSt.TX_DROPPED) : 0,
      guestRxRefused: c ? Atomics.load(c.stats, NicSt.RX_REFUSED) : 0,
    };
  }

  /** What the dashboard shows: each network's ports with their counters, and its leases. */
  info(): NetworkInfo[] {
    return [...this.networks.entries()].map(([name, n]) => ({
      name,
      subnet: `${ipToString((this.subnet.gateway & n.services.dhcp.mask) >>> 0)}/${this.subnet.prefix}`,
      gateway: ipToString(this.subnet.gateway),
      ports: n.sw.ports().map((p) => this.portInfo(p)),
      leases: n.services.dhcp.leases(),
      forwarded: n.sw.forwarded,
      capturing: n.sw.capture !== null,
    }));
  }

  /** Where a capture runs: the whole network, or one of its ports (by name). */
  private captureTarget(network: string, portName?: string): { capture: PacketCapture | null } {
    const n = this.network(network);
    if (portName === undefined) return n.sw;
    const port = n.sw.ports().find((p) => p.name === portName);
    if (!port) throw new RangeError(`network "${network}" has no port "${portName}"`);
    return port;
  }

  /** Starts (or restarts, emptied) a capture of a network or one of its ports. */
  startCapture(network: string, portName?: string): void {
    this.captureTarget(network, portName).capture = new PacketCapture();
  }

  stopCapture(network: string, portName?: string): void {
    this.captureTarget(network, portName).capture = null;
  }

  /** The capture so far as a pcap file; throws when none runs. */
  capturePcap(network: string, portName?: string): Uint8Array {
    const cap = this.captureTarget(network, portName).capture;
    if (!cap) throw new RangeError(`no capture is running on ${portName === undefined ? "" : `port "${portName}" of `}network "${network}"`);
    return cap.toPcap();
  }
}
