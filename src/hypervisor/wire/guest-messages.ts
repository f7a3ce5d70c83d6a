// The messages between the hypervisor worker and a guest worker. The hypervisor sends one "start";
// after it, everything the hypervisor asks goes through the VM's shared control block
// (shared-layout.ts), and the guest answers with the messages below. A guest worker runs whatever
// the guest OS makes the emulator do, so the hypervisor trusts nothing it sends: each message is
// decoded field by field and a malformed one is refused (and logged), never acted on.

import type { MachineConfig } from "../../emulator/machine-config.ts";
import type { SavedState } from "../../emulator/state.ts";
import type { VmChannels } from "../shared-layout.ts";
import {
  boolean,
  defineMessages,
  list,
  objectValidatedBy,
  optional,
  positiveInteger,
  positiveNumber,
  record,
  sharedBuffer,
  text,
  typedArray,
  type MessageHandlers,
  type MessageOf,
} from "./decode.ts";

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

/** Size of a disk overlay chunk (DiskImageStore's copy-on-write unit). */
export const OVERLAY_CHUNK_BYTES = 0x10000;
/** At most this many overlay chunks travel in one "disk-writes" message (4 MiB). */
export const MAX_DISK_WRITE_CHUNKS = 64;
const MAX_DISK_BYTES = 2 ** 40;
const DISK_NAME = text(32);

/** A writable disk's copy-on-write overlay (or part of it): chunk numbers, their bytes back to
 *  back (DiskImageStore's SavedOverlay), and which disk ("ide0-master"...). */
const diskOverlay = (maxChunks: number) =>
  record({
    disk: DISK_NAME,
    /** The disk's size in bytes: an overlay is only applied to a disk of the same size. */
    length: positiveInteger,
    chunks: typedArray<Uint32Array>("Uint32Array", Uint32Array, maxChunks),
    data: typedArray<Uint8Array>("Uint8Array", Uint8Array, maxChunks * OVERLAY_CHUNK_BYTES),
  });

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
      /** Start from this saved machine state (a snapshot or a suspended VM) instead of booting;
       *  validated by Machine.loadState before anything runs. */
      state: optional(objectValidatedBy<SavedState>("a SavedState, validated by Machine.loadState")),
      /** The writable disks' persisted overlays, applied before a fresh boot. */
      diskOverlays: optional(list(diskOverlay(MAX_DISK_BYTES / OVERLAY_CHUNK_BYTES), 8)),
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
  /** The machine's state, copied at the capture request `seq` (Ctl.CAPTURE_SEQ); the guest ran on
   *  right after the copy. Validated when it is written and again when it is loaded. */
  captured: { seq: positiveInteger, state: objectValidatedBy<SavedState>("a SavedState, validated by writeSnapshot and Machine.loadState") },
  /** The capture request `seq` could not be answered; the guest runs on. */
  "capture-failed": { seq: positiveInteger, reason: REASON },
  /** Overlay chunks a writable disk's guest wrote since the last report (every few seconds and at
   *  stop); `replace`: these are the start of the disk's whole overlay (after a restore from state). */
  "disk-writes": { overlay: diskOverlay(MAX_DISK_WRITE_CHUNKS), replace: boolean },
  /** The worker left its loop on a stop request, after its last disk writes. */
  stopped: {},
});
export type GuestMessage = MessageOf<typeof guestToHypervisor.schema>;

/** The hypervisor's side of one guest worker: a handler per message kind, and `refused` for a
 *  message that failed to decode (the problem names what was wrong). */
export type GuestEvents = MessageHandlers<GuestMessage> & { refused(problem: string): void };

/** For launchers: decodes what a guest worker posted and hands it to `events`. */
export function deliverGuestMessage(data: unknown, events: GuestEvents): void {
  guestToHypervisor.dispatch(data, events, (problem) => events.refused(problem));
}
