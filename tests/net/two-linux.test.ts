// Two Linux guests on one virtual switch, in one Node process: each boots with a virtio-net card,
// mdev's udhcpc gets an address from the switch's DHCP server, one pings the other, resolves the
// other's VM name through the switch's DNS, and fetches a 1 MiB random file from the other's busybox
// httpd with wget; the md5 sums match. The machines run interleaved in small slices (Lockstep),
// their frames moving through the same rings and switch as in the browser (LocalNetwork).

import { appendFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import type { Machine } from "../../src/emulator/machine-api.ts";
import { LocalNetwork } from "../../scripts/vm/local-network.ts";
import { Lockstep } from "../../scripts/vm/lockstep.ts";
import { PROMPT, linuxDirectConfig } from "../machine/linux-guest.ts";

/** HYPERTAB_NET_LOG=FILE: both serial consoles go there as they come (to watch a long run). */
const LOG = process.env.HYPERTAB_NET_LOG;
/** Wall-clock limit for the whole story on a loaded 2-core host. */
const LIMIT_SECONDS = 3600;

class Console {
  text = "";
  private input: number[] = [];
  constructor(
    readonly name: string,
    private readonly m: Machine,
  ) {
    m.serial[0]!.onTransmit((b) => {
      this.text += String.fromCharCode(b);
      if (LOG && b === 10) {
        const line = this.text.slice(this.text.lastIndexOf("\n", this.text.length - 2) + 1);
        appendFileSync(LOG, `${this.name}: ${line}`);
      }
    });
  }
  feed(): void {
    while (this.input.length > 0 && this.m.serial[0]!.receive(this.input[0]!)) this.input.shift();
  }
  type(line: string): void {
    for (const ch of `${line}\n`) this.input.push(ch.charCodeAt(0));
  }
}

describe("two Linux guests on one switch", () => {
  let net: LocalNetwork;
  let lockstep: Lockstep;
  let alpha: Console;
  let beta: Console;
  const deadline = Date.now() + LIMIT_SECONDS * 1000;
  const ips: Record<string, string> = {};

  const runUntil = (done: () => boolean, what: string) => {
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`${what}: not reached in time; alpha tail:\n${alpha.text.slice(-1500)}\nbeta tail:\n${beta.text.slice(-1500)}`);
      alpha.feed();
      beta.feed();
      lockstep.step();
    }
  };
  /** Types a line and waits for `marker` (computed by the shell, so the echo cannot match). */
  const command = (c: Console, line: string, marker: string): string => {
    const from = c.text.length;
    c.type(line);
    runUntil(() => c.text.indexOf(marker, from + line.length) >= 0, `${c.name}: output of "${line}"`);
    return c.text.slice(from);
  };

  beforeAll(() => {
    net = new LocalNetwork();
    lockstep = new Lockstep({ between: () => net.pump() });
    const boot = (name: string, mac: string): Console => {
      const config = linuxDirectConfig();
      const m = createMachine({ ...config, cards: [...config.cards, { type: "virtio-net", mac }] }, { wallClock: lockstep.wallClock });
      net.plug(m, name);
      lockstep.add(m);
      return new Console(name, m);
    };
    alpha = boot("alpha", "52:54:00:00:00:a1");
    beta = boot("beta", "52:54:00:00:00:b2");
    runUntil(() => alpha.text.includes(PROMPT) && beta.text.includes(PROMPT), "both shell prompts");
  }, LIMIT_SECONDS * 1000);

  afterAll(() => {
    net = undefined as never;
  });

  it("both get an address from the switch's DHCP server", () => {
    for (const c of [alpha, beta]) {
      const out = command(
        c,
        "i=0; while ! ip -4 addr show dev eth0 | grep -q 'inet 10.0.2.' && [ $i -lt 120 ]; do sleep 1; i=$((i+1)); done; ip -4 addr show dev eth0; echo lease-$((40+2))",
        "lease-42",
      );
      const m = /inet (10\.0\.2\.\d+)\/24/.exec(out);
      expect(m, out).not.toBeNull();
      ips[c.name] = m![1]!;
    }
    expect(ips.alpha).not.toBe(ips.beta);
    const leases = net.hub.info()[0]!.leases.map((l) => [l.hostname, l.ip, l.state]);
    expect(leases.sort()).toEqual([["alpha", ips.alpha, "bound"], ["beta", ips.beta, "bound"]]);
  }, LIMIT_SECONDS * 1000);

  it("alpha pings beta three times and gets three replies", () => {
    const out = command(alpha, `ping -c 3 ${ips.beta}; echo ping-$((40+2))`, "ping-42");
    expect(out).toMatch(/3 packets transmitted, 3 packets received, 0% packet loss/);
    const ports = net.hub.info()[0]!.ports;
    for (const p of ports.filter((x) => x.vmId !== null)) expect(p.counters.inFrames).toBeGreaterThan(3);
  }, LIMIT_SECONDS * 1000);

  it("alpha resolves beta's VM name through the switch's DNS", () => {
    const out = command(alpha, "nslookup beta 10.0.2.2; echo dns-$((40+2))", "dns-42");
    expect(out).toContain(ips.beta);
  }, LIMIT_SECONDS * 1000);

  it("a 1 MiB file fetched from beta's httpd with wget arrives with the same md5", () => {
    const served = command(
      beta,
      "mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/f bs=1024 count=1024 2>/dev/null && httpd -p 8080 -h /tmp/www && md5sum /tmp/www/f; echo srv-$((40+2))",
      "srv-42",
    );
    const sent = /([0-9a-f]{32})\s+\/tmp\/www\/f/.exec(served);
    expect(sent, served).not.toBeNull();
    const got = command(alpha, `wget -q -O /tmp/got http://${ips.beta}:8080/f; ls -l /tmp/got; md5sum /tmp/got; echo got-$((40+2))`, "got-42");
    expect(got).toContain(`${sent![1]}  /tmp/got`);
    expect(got).toMatch(/1048576/);
  }, LIMIT_SECONDS * 1000);
});
