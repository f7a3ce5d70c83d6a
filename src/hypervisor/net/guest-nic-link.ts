// The guest worker's end of a network card's link to the virtual switch: frames the card sends go
// into the ring to the switch at once (a full ring drops them, counted), and pump() hands the card
// what the switch sent, a bounded number per call so a flood cannot hold the guest's loop. A frame
// the card refuses (its receive buffer is full) is dropped and counted, as on a real wire.

import { NicSt, type NicChannels } from "../shared-layout.ts";
import { SpscFrameRing } from "../spsc-ring.ts";

/** What the link needs of a network card (NicPort in src/emulator/devices/net/nic-port.ts). */
export interface NicEnd {
  onTransmit: ((frame: Uint8Array) => void) | null;
  receive(frame: Uint8Array): boolean;
}

/** Frames handed to the card per pump (one pump per slice of the guest's loop). */
export const RX_FRAMES_PER_PUMP = 32;

export class GuestNicLink {
  private readonly toSwitch: SpscFrameRing;
  private readonly toGuest: SpscFrameRing;
  private readonly stats: Int32Array;

  constructor(
    private readonly card: NicEnd,
    channels: NicChannels,
  ) {
    this.toSwitch = SpscFrameRing.attach(channels.toSwitch);
    this.toGuest = SpscFrameRing.attach(channels.toGuest);
    this.stats = new Int32Array(channels.stats);
    if (this.stats.length < NicSt.SIZE) throw new RangeError(`NIC stats block of ${channels.stats.byteLength} bytes is too small`);
    // The switch side sleeps on its doorbell: every frame sent rings it.
    this.toSwitch.setDoorbell({ words: new Int32Array(channels.switchBell), index: 0 });
    card.onTransmit = (frame) => this.transmit(frame);
  }

  private transmit(frame: Uint8Array): void {
    if (frame.length > this.toSwitch.maxLength || !this.toSwitch.push(frame)) {
      Atomics.add(this.stats, NicSt.TX_DROPPED, 1);
    }
  }

  /** Moves up to `max` frames from the switch into the card; returns how many were taken. */
  pump(max = RX_FRAMES_PER_PUMP): number {
    let n = 0;
    for (; n < max; n++) {
      const frame = this.toGuest.pop();
      if (!frame) break;
      if (!this.card.receive(frame)) Atomics.add(this.stats, NicSt.RX_REFUSED, 1);
    }
    return n;
  }

  /** Unhooks the card (the machine is going away). */
  close(): void {
    this.card.onTransmit = null;
  }
}

/** Links a machine's cards to the channels the hypervisor made for them (same order). */
export function linkNics(cards: readonly { port: NicEnd }[], channels: readonly NicChannels[] = []): GuestNicLink[] {
  if (channels.length > cards.length) throw new Error(`the hypervisor linked ${channels.length} network cards but the machine has ${cards.length}`);
  return channels.map((ch, i) => new GuestNicLink(cards[i]!.port, ch));
}
