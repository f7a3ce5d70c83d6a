// A GDB remote-protocol stub for one machine (all-stop mode, one thread): desktop gdb attaches to
// it as to QEMU's `-gdb`. It speaks over any byte transport (`send`, `receive`): a TCP socket in
// scripts/vm, a relay elsewhere. The host runs the machine's slices while `running` is true and
// hands each result to `sliceDone`; the stub stops the machine through a CpuDebugger (breakpoints,
// watchpoints, step, break-in) and pauses its clock while gdb looks at it.
//
// Supported: qSupported (PacketSize), QStartNoAckMode, qXfer:features:read (target.xml),
// ?, g/G, p/P, m/M/X (linear addresses through the guest's page tables; unmapped: E14),
// Z0-Z4/z0-z4, c/C/s/S (optional address), vCont (c, C, s, S), Ctrl-C, k, vKill, D, qAttached, qC,
// qfThreadInfo/qsThreadInfo, H, T. Anything else gets the empty "unsupported" reply; a malformed
// packet gets E01.

import type { Machine, SliceResult } from "../machine-api.ts";
import type { CPU } from "../cpu/cpu.ts";
import { CS } from "../cpu/constants.ts";
import { CpuDebugger, type WatchKind } from "./cpu-debugger.ts";
import { G_PACKET_BYTES, REGISTERS, readRegister, targetXml, writeRegister } from "./i386-registers.ts";
import { peekLinear, pokeLinear } from "./linear-peek.ts";
import { MAX_PACKET, PacketReader, escapeBinary, framePacket, fromHex, parseHex32, toHex, unescapeBinary, type PacketEvent } from "./gdb-packet.ts";

const OK = "OK";
const E_MALFORMED = "E01";
const E_UNMAPPED = "E14";
const E_REFUSED = "E22";
const THREAD = "01";
const WATCH_KINDS: Record<string, WatchKind> = { "2": "write", "3": "read", "4": "access" };
const WATCH_STOP: Record<WatchKind, string> = { write: "watch", read: "rwatch", access: "awatch" };
/** Largest memory read: its hex reply must fit in a packet. */
const MAX_READ = (MAX_PACKET - 8) >> 1;

export type GdbSessionEnd = "detach" | "kill";

export interface GdbStubOptions {
  /** Bytes to the client. */
  send(bytes: Uint8Array): void;
  /** The client detached (the machine runs on without the debugger) or killed the machine. */
  onEnd?(end: GdbSessionEnd): void;
}

export class GdbStub {
  readonly debugger: CpuDebugger;
  private readonly cpu: CPU;
  private readonly reader = new PacketReader();
  private noAck = false;
  private lastSent: Uint8Array | null = null;
  private state: "stopped" | "running" | "ended" = "stopped";
  private lastStop = `T05thread:${THREAD};`;
  private xml: string | null = null;

  constructor(private readonly machine: Machine, private readonly options: GdbStubOptions) {
    if (machine.cpu === undefined) throw new Error("gdb stub: this machine does not expose its CPU");
    this.cpu = machine.cpu;
    this.debugger = new CpuDebugger(this.cpu);
    this.debugger.attach();
    machine.pause();
  }

  /** The host should run the machine's slices (gdb continued or stepped it). */
  get running(): boolean {
    return this.state === "running";
  }

  /** The session is over (detach, kill, or the machine stopped for good). */
  get ended(): boolean {
    return this.state === "ended";
  }

  receive(bytes: Uint8Array): void {
    this.reader.feed(bytes, (e) => this.onEvent(e));
  }

  /** After each slice the host ran: reports a stop (breakpoint, watchpoint, step, break-in) or the
   *  machine's end to gdb. */
  sliceDone(result: SliceResult): void {
    if (this.state !== "running") return;
    if (result.reason === "debugger" || (result.reason === "halted" && this.debugger.takeBreakIn())) {
      this.stopped();
    } else if (result.reason === "powered-off" || result.reason === "crashed") {
      this.state = "ended";
      const status = this.machine.exitStatus ?? 0;
      this.reply(result.reason === "crashed" ? "X0b" : `W${(status & 0xff).toString(16).padStart(2, "0")}`);
      this.debugger.detach();
    }
  }

  /** The connection went away without D or k: gdb is gone, the machine runs on (as QEMU does). */
  disconnected(): void {
    if (this.state === "ended") return;
    this.end("detach");
  }

  private stopped(): void {
    this.state = "stopped";
    this.machine.pause();
    const r = this.debugger.stopReason;
    let stop: string;
    if (r.kind === "break-in") stop = `T02thread:${THREAD};`;
    else if (r.kind === "breakpoint") stop = `T05thread:${THREAD};${r.hardware ? "hwbreak" : "swbreak"}:;`;
    else if (r.kind === "watchpoint") stop = `T05thread:${THREAD};${WATCH_STOP[r.watch.kind]}:${r.watch.addr.toString(16)};`;
    else stop = `T05thread:${THREAD};`;
    this.lastStop = stop;
    this.reply(stop);
  }

  private onEvent(e: PacketEvent): void {
    switch (e.kind) {
      case "ack":
        this.lastSent = null;
        return;
      case "nack":
        if (this.lastSent !== null) this.options.send(this.lastSent);
        return;
      case "break-in":
        if (this.state === "running") this.debugger.requestBreak();
        return;
      case "bad-checksum":
        if (!this.noAck) this.options.send(Uint8Array.of(0x2d));
        return;
      case "too-long":
        this.ack();
        this.reply(E_MALFORMED);
        return;
      case "packet": {
        this.ack();
        if (this.state !== "stopped") return; // all-stop: gdb sends nothing but Ctrl-C while running
        let answer: string | null;
        try {
          answer = this.handle(e.payload);
        } catch {
          answer = E_MALFORMED; // a packet must never take the machine down
        }
        if (answer !== null) this.reply(answer);
      }
    }
  }

  private ack(): void {
    if (!this.noAck) this.options.send(Uint8Array.of(0x2b));
  }

  private reply(payload: string): void {
    const bytes = framePacket(payload);
    this.lastSent = this.noAck ? null : bytes;
    this.options.send(bytes);
  }

  /** The reply to one packet, or null when there is none now (resume: the stop reply comes later). */
  private handle(p: string): string | null {
    const cmd = p[0];
    const args = p.slice(1);
    switch (cmd) {
      case "?":
        return this.lastStop;
      case "g":
        return REGISTERS.map((_, n) => toHex(readRegister(this.cpu, n)!)).join("");
      case "G":
        return this.writeAllRegisters(args);
      case "p": {
        const n = parseHex32(args);
        const v = n === null ? null : readRegister(this.cpu, n);
        return v === null ? E_MALFORMED : toHex(v);
      }
      case "P": {
        const m = /^([0-9a-fA-F]+)=([0-9a-fA-F]*)$/.exec(args);
        const n = m ? parseHex32(m[1]) : null;
        const bytes = m ? fromHex(m[2]) : null;
        if (n === null || bytes === null) return E_MALFORMED;
        return writeRegister(this.cpu, n, bytes) ? OK : E_REFUSED;
      }
      case "m":
        return this.readMemory(args);
      case "M":
      case "X":
        return this.writeMemory(cmd, args);
      case "Z":
      case "z":
        return this.breakpoint(cmd === "Z", args);
      case "c":
      case "s":
      case "C":
      case "S":
        return this.resumeFrom(cmd.toLowerCase() === "s", cmd === "c" || cmd === "s" ? args : args.replace(/^[0-9a-fA-F]+;?/, ""));
      case "k":
        this.end("kill");
        return null;
      case "D":
        this.reply(OK);
        this.end("detach");
        return null;
      case "H":
        return /^[gc](-1|[0-9a-fA-F]+)$/.test(args) ? OK : E_MALFORMED;
      case "T":
        return /^0*1$/.test(args) || args === "-1" ? OK : E_MALFORMED;
      case "q":
      case "Q":
        return this.query(p);
      case "v":
        return this.vPacket(p);
      default:
        return "";
    }
  }

  private query(p: string): string | null {
    if (p.startsWith("qSupported")) {
      return `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+`;
    }
    if (p === "QStartNoAckMode") {
      // The OK itself is still acknowledged; no acks after it.
      this.reply(OK);
      this.noAck = true;
      this.lastSent = null;
      return null;
    }
    if (p.startsWith("qXfer:features:read:")) {
      const m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(p);
      if (!m) return E_MALFORMED;
      if (m[1] !== "target.xml") return "E00";
      this.xml ??= targetXml();
      const off = parseInt(m[2], 16), len = Math.min(parseInt(m[3], 16), MAX_READ);
      const part = this.xml.slice(off, off + len);
      return (off + len >= this.xml.length ? "l" : "m") + escapeBinary(part);
    }
    if (p === "qAttached" || p.startsWith("qAttached:")) return "1";
    if (p === "qC") return `QC${THREAD}`;
    if (p === "qfThreadInfo") return `m${THREAD}`;
    if (p === "qsThreadInfo") return "l";
    if (p.startsWith("qSymbol")) return OK;
    return "";
  }

  private vPacket(p: string): string | null {
    if (p === "vCont?") return "vCont;c;C;s;S";
    if (p.startsWith("vCont;")) {
      let step: boolean | null = null;
      for (const action of p.slice(6).split(";")) {
        const m = /^([cCsS])(?:[0-9a-fA-F]{2})?(?::(-1|[0-9a-fA-F]+))?$/.exec(action);
        if (!m) return E_MALFORMED;
        if (m[2] !== undefined && m[2] !== "-1" && parseInt(m[2], 16) !== 1) continue; // another thread
        step ??= m[1] === "s" || m[1] === "S"; // the first action that applies to our thread wins
      }
      return step === null ? E_MALFORMED : this.resumeFrom(step, "");
    }
    if (p.startsWith("vKill")) {
      this.reply(OK);
      this.end("kill");
      return null;
    }
    return "";
  }

  private resumeFrom(step: boolean, addr: string): string | null {
    if (addr !== "") {
      const a = parseHex32(addr);
      if (a === null) return E_MALFORMED;
      this.cpu.eip = (a - this.cpu.segBase[CS]) | 0;
    }
    this.debugger.resume(step);
    this.state = "running";
    this.machine.resume();
    return null;
  }

  private end(how: GdbSessionEnd): void {
    this.state = "ended";
    this.debugger.detach();
    if (how === "detach") this.machine.resume();
    this.options.onEnd?.(how);
  }

  private writeAllRegisters(hex: string): string {
    const bytes = fromHex(hex);
    if (bytes === null || bytes.length > G_PACKET_BYTES) return E_MALFORMED;
    const values: [number, Uint8Array][] = [];
    let at = 0;
    for (let n = 0; n < REGISTERS.length; n++) {
      const size = REGISTERS[n].bits / 8;
      if (at + size > bytes.length) break;
      values.push([n, bytes.subarray(at, at + size)]);
      at += size;
    }
    // All or nothing: a refused register (a changed selector, say) leaves every register as it was.
    const saved = values.map(([n]) => readRegister(this.cpu, n)!);
    for (const [n, v] of values) {
      if (!writeRegister(this.cpu, n, v)) {
        values.forEach(([m], i) => writeRegister(this.cpu, m, saved[i]));
        return E_REFUSED;
      }
    }
    return OK;
  }

  private readMemory(args: string): string {
    const m = /^([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(args);
    if (!m) return E_MALFORMED;
    const len = Math.min(parseInt(m[2], 16), MAX_READ);
    if (len === 0) return "";
    const data = peekLinear(this.cpu, parseInt(m[1], 16) | 0, len);
    return data.length === 0 ? E_UNMAPPED : toHex(data);
  }

  private writeMemory(cmd: string, args: string): string {
    const m = /^([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8}):([^]*)$/.exec(args);
    if (!m) return E_MALFORMED;
    const len = parseInt(m[2], 16);
    const data = cmd === "X" ? unescapeBinary(m[3]) : fromHex(m[3]);
    if (data === null || data.length !== len) return E_MALFORMED;
    return pokeLinear(this.cpu, parseInt(m[1], 16) | 0, data) ? OK : E_UNMAPPED;
  }

  private breakpoint(insert: boolean, args: string): string {
    const m = /^([0-4]),([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})(;.*)?$/.exec(args);
    if (!m) return /^[0-9],/.test(args) ? "" : E_MALFORMED;
    const type = m[1], addr = parseInt(m[2], 16), kind = parseInt(m[3], 16);
    const d = this.debugger;
    if (type === "0" || type === "1") {
      if (!insert) d.removeBreakpoint(addr);
      else if (!d.addBreakpoint(addr, type === "1")) return E_REFUSED;
      return OK;
    }
    const w = { kind: WATCH_KINDS[type], addr, length: kind };
    if (!insert) d.removeWatchpoint(w);
    else if (!d.addWatchpoint(w)) return E_REFUSED;
    return OK;
  }
}
