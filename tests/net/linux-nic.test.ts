// The Linux guest drives each network card with its stock driver (ne2k-pci; virtio_pci +
// virtio_net), loaded by mdev from the card's PCI id: the interface appears with the card's MAC,
// mdev's udhcpc gets a lease from the test's responder on the wire, and `ping -c 3` to the
// responder gets three replies. One boot per card.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NicModel } from "../../src/emulator/cards/nic.ts";
import { createMachine } from "../../src/emulator/machine.ts";
import { PROMPT, SerialTranscript, linuxDirectConfig } from "../machine/linux-guest.ts";
import { attachResponder, type Responder } from "./responder.ts";

const BOOT_SECONDS = 1500;
const MAC = "52:54:00:12:34:56";

describe.each<NicModel>(["ne2k-pci", "virtio-net"])("the Linux guest with a %s card", (model) => {
  let m: ReturnType<typeof createMachine>;
  let serial: SerialTranscript;
  let wire: Responder;

  beforeAll(() => {
    const config = linuxDirectConfig();
    m = createMachine({ ...config, cards: [...config.cards, { type: model, mac: MAC }] });
    wire = attachResponder(m.nics[0]!.port);
    serial = new SerialTranscript(m);
    serial.runUntil((t) => t.includes(PROMPT), BOOT_SECONDS, "the shell prompt");
  }, BOOT_SECONDS * 1000 + 60_000);

  afterAll(() => {
    m = undefined as never;
  });

  it("shows the interface with the card's MAC", () => {
    const out = serial.command("i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done; ip link show eth0; echo link-$((40+2))", "link-42", 600);
    expect(out).toContain(`link/ether ${MAC}`);
    expect(out).toMatch(/eth0: <[^>]*UP/);
  }, 700_000);

  it("gets a DHCP lease from the wire", () => {
    const out = serial.command(
      "i=0; while ! ip -4 addr show dev eth0 | grep -q 10.0.2.15 && [ $i -lt 90 ]; do sleep 1; i=$((i+1)); done; ip -4 addr show dev eth0; echo lease-$((40+2))",
      "lease-42",
      600,
    );
    expect(wire.dhcp.discovers).toBeGreaterThan(0);
    expect(wire.dhcp.requests).toBeGreaterThan(0);
    expect(out).toContain("inet 10.0.2.15/24");
  }, 700_000);

  it("pings the responder: three echo requests, three replies", () => {
    const out = serial.command("ping -c 3 10.0.2.2; echo ping-$((40+2))", "ping-42", 600);
    expect(out).toMatch(/3 packets transmitted, 3 packets received/);
    expect(wire.echoes).toBe(3);
    const c = m.nics[0]!.port.counters;
    expect(c.txFrames).toBeGreaterThanOrEqual(5);
    expect(c.rxFrames).toBeGreaterThanOrEqual(5);
  }, 700_000);
});
