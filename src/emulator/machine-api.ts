// What the outside world (Node runner, guest worker, tests, benchmark) uses of a running machine.
// The implementation is src/emulator/machine.ts (`createMachine`).

import type { CardConfig } from "./cards/registry.ts";
import type { SavedState } from "./state.ts";
import type { IoCounters } from "./io-bus.ts";

export type MachineRunState = "running" | "halted" | "powered-off" | "crashed";

export interface MachineStats {
  /** Guest instructions executed since power-on (float, exact up to 2^53). */
  instructions: number;
  interrupts: number;
  io: IoCounters;
  /** Virtual ns since power-on. */
  uptimeNs: number;
}

export interface SlicePolicy {
  /** Execute at most this many guest instructions in this call. */
  maxInstructions: number;
  /** Also return (reason "budget") once this many ms of wall time have passed, checked between
   *  chunks: a host that must stay responsive (a guest worker's heartbeat, time slices) is not
   *  held for seconds by a phase where instructions are far slower than its estimate. */
  maxWallMs?: number;
  /** When the CPU sleeps (HLT) with nothing pending, move virtual time straight to the next timer
   *  deadline and keep going instead of returning "halted" (deterministic tests, batch runs). */
  skipIdle?: boolean;
}

export interface SliceResult {
  executed: number;
  /** Why the slice ended: budget used, CPU halted waiting for an interrupt (next timer deadline in
   *  virtual ns given, so a host may sleep), powered off, crashed, or stopped by an attached host
   *  debugger (CPU.hostDebugger: a breakpoint, watchpoint, step or break-in). */
  reason: "budget" | "halted" | "powered-off" | "crashed" | "debugger";
  nextDeadlineNs: number;
}

export interface SerialPort {
  /** Guest transmitted a byte. */
  onTransmit(listener: (byte: number) => void): void;
  /** Host → guest. Returns false when the receive FIFO is full (the caller keeps the byte). */
  receive(byte: number): boolean;
  /** Optional flow control (added for the guest worker's serial ring): while held, the UART keeps
   *  its transmitter busy (THR not empty, as with CTS low on real hardware), so the guest waits
   *  instead of sending bytes the host has no room for. */
  setTransmitHold?(hold: boolean): void;
}

export interface VgaView {
  /** Current mode: "text" (cols x rows), "graphics" (width x height x bpp). */
  mode(): { kind: "text"; cols: number; rows: number } | { kind: "graphics"; width: number; height: number; bpp: number };
  /** The text screen as lines of characters (text modes only; empty array in graphics). */
  textLines(): string[];
  /** Renders the current screen into RGBA (width*height*4); returns dimensions. */
  render(into?: Uint8ClampedArray): { width: number; height: number; pixels: Uint8ClampedArray };
  /** Optional: bumped by every render() that changed at least one pixel. */
  readonly generation?: number;
  /** Optional: the band of rows (full width) the last render() changed; top === bottom when none. */
  readonly lastDirty?: { readonly top: number; readonly bottom: number };
}

export interface Keyboard {
  /** A key by KeyboardEvent.code ("KeyA", "Enter", "ControlLeft"...), pressed or released. */
  key(code: string, down: boolean): void;
}

/** Added for the PS/2 mouse (devices/ps2-mouse.ts): relative motion in screen convention. */
export interface Mouse {
  /** dx right, dy down, dz wheel (positive = towards the user, like DOM deltaY); buttons bit mask:
   *  1 left, 2 right, 4 middle, 8 back, 16 forward. Motion is coalesced, never dropped. */
  move(dx: number, dy: number, dz: number, buttons: number): void;
}

export interface Machine {
  readonly config: Readonly<import("./machine-config.ts").MachineConfig>;
  readonly state: MachineRunState;
  /** Why it crashed or powered off, e.g. "triple fault", "ACPI S5", "isa-debug-exit 0x10". */
  readonly stopReason: string;
  /** Exit status requested by the guest (isa-debug-exit: (v<<1)|1; S5: 0), or null. */
  readonly exitStatus: number | null;
  /** Runs one slice on the calling thread. Virtual time advances with wall time while running. */
  runSlice(policy: SlicePolicy): SliceResult;
  /** Clock control: paused machines keep their virtual time still. */
  pause(): void;
  resume(): void;
  reset(): void;
  readonly serial: SerialPort[]; // COM1..COM4 present per config
  readonly vga: VgaView | null;
  readonly keyboard: Keyboard | null;
  /** Optional (added with the PS/2 mouse): present when the machine has a PS/2 card. */
  readonly mouse?: Mouse | null;
  /** Optional (added with the network cards): the machine's NICs, in card order. */
  readonly nics?: readonly import("./cards/nic.ts").MachineNic[];
  /** Bytes written to port 0xE9 (debugcon). */
  onDebugcon(listener: (byte: number) => void): void;
  /** Optional (added for the workstation's event log): called after each reset the guest caused —
   *  triple fault, keyboard-controller reset, port 0xCF9 or 0x92 reset (a Ctrl+Alt+Del reboot ends
   *  in one of these) — with its reason. Not called for `reset()` from the host. */
  onReset?(listener: (reason: string) => void): void;
  /** Optional: how many guest-caused resets happened since the machine was built. */
  readonly resetCount?: number;
  stats(): MachineStats;
  /** Optional (added for the GDB stub, src/emulator/debug/): the CPU, for a host debugger. */
  readonly cpu?: import("./cpu/cpu.ts").CPU;
  /** Whole-machine snapshot: CPU, RAM, every device, clock. */
  saveState(): SavedState;
  /** Restores into this machine, which must be built from the same config. */
  loadState(state: SavedState): void;
  /** Optional (added with PCI hot-plug): puts a PCI card (a NIC) into a free hot-plug slot of the
   *  running machine and tells the guest through ACPI; `config` then lists it with its `pciSlot`.
   *  Returns the slot. Throws MachineConfigError for a bad card, Error when no slot is free or the
   *  card is not a PCI card. */
  hotplugCard?(card: CardConfig): number;
  /** Optional: asks the guest to eject a plug-in card (by slot or its object in `config.cards`);
   *  it leaves when the guest ejects it (onCardRemoved). */
  requestUnplug?(target: number | CardConfig): void;
  /** Optional: surprise removal, at once. */
  forceUnplug?(target: number | CardConfig): void;
  /** Optional: called when a plug-in card left the machine (guest eject or forced removal). */
  onCardRemoved?(listener: (card: CardConfig, slot: number, why: string) => void): void;
}
