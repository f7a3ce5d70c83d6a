// The messages between the hypervisor worker and a guest worker. The hypervisor sends one "start";
// after it, everything the hypervisor asks goes through the VM's shared control block
// (shared-layout.ts), and the guest answers with the messages below. A guest worker runs whatever
// the guest OS makes the emulator do, so the hypervisor trusts nothing it sends: each message is
// decoded field by field and a malformed one is refused (and logged), never acted on.

import type { MachineConfig } from "../../emulator/machine-config.ts";
import { MAX_NICS, type NicChannels, type VmChannels } from "../shared-layout.ts";
import { arrayOf, defineMessages, objectValidatedBy, optional, positiveNumber, record, sharedBuffer, text, type MessageHandlers, type MessageOf } from "./decode.ts";

const vmChannels = record({
  control: sharedBuffer,
  stats: sharedBuffer,
  serialOut: sharedBuffer,
  serialIn: sharedBuffer,
  keyboard: sharedBuffer,
  mouse: sharedBuffer,
  framebuffer: sharedBuffer,
  text: sharedBuffer,
} satisfies Record<keyof VmChannels, unknown>);

const nicChannels = record({ toSwitch: sharedBuffer, toGuest: sharedBuffer, switchBell: sharedBuffer, stats: sharedBuffer } satisfies Record<keyof NicChannels, unknown>);

/** Hypervisor → guest worker. */
export const hypervisorToGuest = defineMessages("guest start message", {
  start: {
    spec: record({
      /** Validated by createMachine (machine-config-validate.ts) in the guest worker. */
      machine: objectValidatedBy<MachineConfig>("a MachineConfig, validated by createMachine"),
      channels: vmChannels,
      periodMs: positiveNumber,
      /** The page's heartbeat (page-beat.ts): the guest steps aside while the page is late. */
      pageBeat: optional(sharedBuffer),
      /** Per network card of the machine, in machine.nics order: its rings to the virtual switch. */
      nics: optional(arrayOf(nicChannels, MAX_NICS)),
    }),
  },
});
export type GuestStartMessage = MessageOf<typeof hypervisorToGuest.schema>;
/** What a guest worker runs (guest-runner.ts): the start message's payload. */
export type GuestRunnerSpec = GuestStartMessage["spec"];

/** A crash reason carries an exception's message and one stack frame: generous, but bounded. */
const MAX_REASON_CHARS = 4096;
const REASON = text(MAX_REASON_CHARS);

/** A reason cut to what the hypervisor accepts (for the guest's side). */
export function fitReason(reason: string): string {
  return reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…`;
}

/** Guest worker → hypervisor. */
export const guestToHypervisor = defineMessages("guest worker message", {
  /** The machine is built and running. */
  started: {},
  /** The machine or the runner threw; the worker ends. */
  crashed: { reason: REASON },
  /** The guest powered the machine off (ACPI); the worker ends. */
  "powered-off": { reason: REASON },
  /** The guest reset the machine itself (triple fault, reset port) or a requested reset happened. */
  reset: { reason: REASON },
});
export type GuestMessage = MessageOf<typeof guestToHypervisor.schema>;

/** The hypervisor's side of one guest worker: a handler per message kind, and `refused` for a
 *  message that failed to decode (the problem names what was wrong). */
export type GuestEvents = MessageHandlers<GuestMessage> & { refused(problem: string): void };

/** For launchers: decodes what a guest worker posted and hands it to `events`. */
export function deliverGuestMessage(data: unknown, events: GuestEvents): void {
  guestToHypervisor.dispatch(data, events, (problem) => events.refused(problem));
}
