// The typed wire (src/hypervisor/wire/): each channel's messages decode to exactly their declared
// fields, and whatever a guest worker sends that is not one of them is refused with a message that
// names what was wrong — the hypervisor logs it and keeps running.

import { describe, expect, it } from "vitest";
import { Hypervisor, type GuestLauncher } from "../../src/hypervisor/hypervisor.ts";
import { createNicChannels, createVmChannels } from "../../src/hypervisor/shared-layout.ts";
import { WireError, type MessageHandlers } from "../../src/hypervisor/wire/decode.ts";
import { pageToDisplay } from "../../src/hypervisor/wire/display-messages.ts";
import {
  deliverGuestMessage,
  fitReason,
  guestToHypervisor,
  hypervisorToGuest,
  type GuestEvents,
  type GuestMessage,
} from "../../src/hypervisor/wire/guest-messages.ts";
import { toy, toyResources } from "./toy-resources.ts";

function refusal(decode: (data: unknown) => unknown, data: unknown): string {
  try {
    decode(data);
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(data)}`);
}

describe("guest worker → hypervisor messages", () => {
  const decode = (data: unknown) => guestToHypervisor.decode(data);

  it("decodes each kind to exactly its declared fields", () => {
    expect(decode({ type: "started" })).toEqual({ type: "started" });
    expect(decode({ type: "crashed", reason: "TypeError: x" })).toEqual({ type: "crashed", reason: "TypeError: x" });
    expect(decode({ type: "powered-off", reason: "ACPI" })).toEqual({ type: "powered-off", reason: "ACPI" });
    expect(decode({ type: "reset", reason: "triple fault" })).toEqual({ type: "reset", reason: "triple fault" });
  });

  it("decodes captures and disk writes, and refuses disk writes of the wrong shape or size", () => {
    const state = { layout: "machine", version: 1, fields: {} };
    expect(decode({ type: "captured", seq: 3, state })).toEqual({ type: "captured", seq: 3, state });
    expect(decode({ type: "capture-failed", seq: 1, reason: "no" })).toEqual({ type: "capture-failed", seq: 1, reason: "no" });
    expect(decode({ type: "stopped" })).toEqual({ type: "stopped" });
    const overlay = { disk: "ide0-master", length: 1 << 20, chunks: Uint32Array.of(0), data: new Uint8Array(0x10000) };
    expect(decode({ type: "disk-writes", overlay, replace: false })).toEqual({ type: "disk-writes", overlay, replace: false });
    expect(refusal(decode, { type: "captured", seq: 0, state })).toBe('guest worker message "captured".seq: expected a whole number above 0, got a number (0)');
    expect(refusal(decode, { type: "disk-writes", overlay: { ...overlay, data: [1, 2] }, replace: false })).toBe(
      'guest worker message "disk-writes".overlay.data: expected a Uint8Array of at most 4194304 elements, got an array',
    );
    expect(refusal(decode, { type: "disk-writes", overlay: { ...overlay, chunks: new Uint32Array(65) }, replace: true })).toBe(
      'guest worker message "disk-writes".overlay.chunks: expected a Uint32Array of at most 64 elements, got an object (Uint32Array)',
    );
    expect(refusal(decode, { type: "disk-writes", overlay, replace: "yes" })).toBe('guest worker message "disk-writes".replace: expected true or false, got a string of 3 characters');
  });

  it("refuses malformed messages, naming what was wrong", () => {
    expect(refusal(decode, null)).toBe("guest worker message: expected an object, got null");
    expect(refusal(decode, "started")).toBe("guest worker message: expected an object, got a string of 7 characters");
    expect(refusal(decode, [{ type: "started" }])).toBe("guest worker message: expected an object, got an array");
    expect(refusal(decode, {})).toBe('guest worker message: unknown type undefined (expected one of "started", "crashed", "powered-off", "reset", "captured", "capture-failed", "disk-writes", "stopped")');
    expect(refusal(decode, { type: "toString" })).toMatch(/^guest worker message: unknown type "toString"/);
    expect(refusal(decode, { type: "crashed" })).toBe('guest worker message "crashed".reason: expected a string of at most 4096 characters, got undefined');
    expect(refusal(decode, { type: "reset", reason: 7 })).toBe('guest worker message "reset".reason: expected a string of at most 4096 characters, got a number (7)');
    expect(refusal(decode, { type: "crashed", reason: "x".repeat(5000) })).toBe(
      'guest worker message "crashed".reason: expected a string of at most 4096 characters, got a string of 5000 characters',
    );
    expect(refusal(decode, { type: "started", extra: 1 })).toBe('guest worker message "started": unexpected field "extra"');
  });

  it("a crash reason cut by fitReason is accepted", () => {
    const reason = fitReason("E".repeat(10_000));
    expect(reason.endsWith("…")).toBe(true);
    expect(decode({ type: "crashed", reason })).toEqual({ type: "crashed", reason });
  });

  it("random junk either decodes to a declared kind or is refused with a WireError, never anything else", () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    const atoms: unknown[] = [null, undefined, 0, -1, NaN, "", "why", "__proto__", true, [], {}, 1e300, new SharedArrayBuffer(4)];
    const types: unknown[] = [...Object.keys(guestToHypervisor.schema), "toString", "start", ...atoms];
    const pick = (list: unknown[]) => list[rand(list.length)];
    const junk = (depth: number): unknown => {
      if (depth > 2 || rand(4) === 0) return pick(atoms);
      // Mostly near-misses of real messages: a type, perhaps a reason, perhaps something else.
      const o: Record<string, unknown> = { type: pick(types) };
      if (rand(2)) o.reason = pick(atoms);
      if (rand(5) === 0) o[String(pick(["spec", "x", "type", "reason"]))] = junk(depth + 1);
      if (rand(8) === 0) delete o.type;
      return rand(10) === 0 ? [o] : o;
    };
    let accepted = 0;
    let refused = 0;
    const anomalies: unknown[] = [];
    for (let i = 0; i < 5000; i++) {
      const data = junk(0);
      try {
        const m = decode(data);
        if (Object.hasOwn(guestToHypervisor.schema, m.type)) accepted++;
        else anomalies.push(m);
      } catch (e) {
        if (e instanceof WireError) refused++;
        else anomalies.push(e);
      }
    }
    expect(anomalies).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it("a receiver must handle every kind (checked by the compiler)", () => {
    // @ts-expect-error "reset" has no handler
    const partial: MessageHandlers<GuestMessage> = { started() {}, crashed() {}, "powered-off"() {} };
    expect(Object.keys(partial)).not.toContain("reset");
  });
});

describe("the hypervisor under a guest worker that sends malformed messages", () => {
  it("logs each refusal with its reason and keeps the VM running", async () => {
    let events: GuestEvents | null = null;
    let terminated = false;
    const launcher: GuestLauncher = {
      launch(_spec, e) {
        events = e;
        return { terminate: () => void (terminated = true) };
      },
    };
    const hv = new Hypervisor(launcher, toyResources);
    const id = (await hv.createVm(toy("hostile", 100), true)).id;
    expect(events).not.toBeNull();
    const send = (data: unknown) => deliverGuestMessage(data, events!);
    send({ type: "started" });
    send({ type: "crashed", reason: { toString: "boom" } });
    send({ type: "powered-off" });
    send({ type: "format-disk" });
    send(42);
    const vm = hv.list().find((v) => v.id === id)!;
    expect(vm.state).toBe("running");
    expect(terminated).toBe(false);
    const refused = hv.events(0).filter((e) => e.vmId === id && e.message.startsWith("refused a message from the guest worker"));
    expect(refused.map((e) => e.message.replace("refused a message from the guest worker: ", ""))).toEqual([
      'guest worker message "crashed".reason: expected a string of at most 4096 characters, got an object (Object)',
      'guest worker message "powered-off".reason: expected a string of at most 4096 characters, got undefined',
      'guest worker message: unknown type "format-disk" (expected one of "started", "crashed", "powered-off", "reset", "captured", "capture-failed", "disk-writes", "stopped")',
      "guest worker message: expected an object, got a number (42)",
    ]);
    // A well-formed message still acts.
    send({ type: "crashed", reason: "TypeError: real" });
    expect(hv.list().find((v) => v.id === id)!.state).toBe("crashed");
    expect(terminated).toBe(true);
  });
});

describe("hypervisor → guest worker start message", () => {
  const machine = { memoryMiB: 16 };
  const good = () => ({ type: "start", spec: { machine, channels: createVmChannels(), periodMs: 50 } });

  it("decodes a start message with its channels and optional page beat", () => {
    const m = good();
    const decoded = hypervisorToGuest.decode(m);
    expect(decoded.spec.channels).toEqual(m.spec.channels);
    expect(decoded.spec.machine).toBe(machine);
    expect(decoded.spec.pageBeat).toBeUndefined();
    const beat = new SharedArrayBuffer(24);
    expect(hypervisorToGuest.decode({ ...m, spec: { ...m.spec, pageBeat: beat } }).spec.pageBeat).toBe(beat);
  });

  it("refuses a start message with a missing or wrong part, naming it", () => {
    const decode = (data: unknown) => hypervisorToGuest.decode(data);
    const m = good();
    const { text: _, ...noText } = m.spec.channels;
    expect(refusal(decode, { ...m, spec: { ...m.spec, channels: noText } })).toBe(
      'guest start message "start".spec.channels.text: expected a SharedArrayBuffer, got undefined',
    );
    expect(refusal(decode, { ...m, spec: { ...m.spec, channels: { ...m.spec.channels, stats: new ArrayBuffer(8) } } })).toBe(
      'guest start message "start".spec.channels.stats: expected a SharedArrayBuffer, got an object (ArrayBuffer)',
    );
    expect(refusal(decode, { ...m, spec: { ...m.spec, periodMs: 0 } })).toBe('guest start message "start".spec.periodMs: expected a finite number above 0, got a number (0)');
    expect(refusal(decode, { ...m, spec: { ...m.spec, machine: "linux" } })).toBe(
      'guest start message "start".spec.machine: expected an object (a MachineConfig, validated by createMachine), got a string of 5 characters',
    );
    expect(refusal(decode, { type: "stop" })).toBe('guest start message: unknown type "stop" (expected one of "start")');
  });

  it("carries the network cards' channels, at most 8, each complete", () => {
    const decode = (data: unknown) => hypervisorToGuest.decode(data);
    const m = good();
    const nic = createNicChannels(new SharedArrayBuffer(4));
    expect(decode({ ...m, spec: { ...m.spec, nics: [nic] } }).spec.nics).toEqual([nic]);
    const { stats: _, ...noStats } = nic;
    expect(refusal(decode, { ...m, spec: { ...m.spec, nics: [nic, noStats] } })).toBe(
      'guest start message "start".spec.nics[1].stats: expected a SharedArrayBuffer, got undefined',
    );
    expect(refusal(decode, { ...m, spec: { ...m.spec, nics: Array.from({ length: 9 }, () => nic) } })).toBe(
      'guest start message "start".spec.nics: expected an array of at most 8 entries, got an array',
    );
  });
});

describe("page → display worker messages", () => {
  it("decodes detach and refuses an attach without a canvas", () => {
    expect(pageToDisplay.decode({ type: "detach", id: 3 })).toEqual({ type: "detach", id: 3 });
    expect(refusal((d) => pageToDisplay.decode(d), { type: "detach", id: 0 })).toBe('display worker message "detach".id: expected a whole number above 0, got a number (0)');
    // Node has no OffscreenCanvas: whatever arrives is not one.
    expect(refusal((d) => pageToDisplay.decode(d), { type: "attach", id: 1, canvas: {}, framebuffer: new SharedArrayBuffer(8) })).toBe(
      'display worker message "attach".canvas: expected an OffscreenCanvas, got an object (Object)',
    );
  });

  it("dispatch hands a message to its kind's handler and a malformed one to the refusal", () => {
    const seen: string[] = [];
    const handlers = { attach: () => void seen.push("attach"), detach: (m: { id: number }) => void seen.push(`detach ${m.id}`) };
    pageToDisplay.dispatch({ type: "detach", id: 9 }, handlers, (p) => seen.push(`refused: ${p}`));
    pageToDisplay.dispatch({ type: "detach", id: "9" }, handlers, (p) => seen.push(`refused: ${p}`));
    expect(seen).toEqual(["detach 9", 'refused: display worker message "detach".id: expected a whole number above 0, got a string of 1 characters']);
  });
});
