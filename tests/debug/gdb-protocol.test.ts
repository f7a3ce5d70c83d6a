// The GDB stub driven in-process packet by packet, on the Multiboot test kernel: the replies gdb
// relies on (qSupported, target.xml, registers, memory through the page tables, breakpoints that
// leave guest memory alone, watchpoints, steps, break-in, exit), acks and no-ack mode, and that no
// malformed packet takes it down.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import type { Machine } from "../../src/emulator/machine-api.ts";
import { GdbStub } from "../../src/emulator/debug/gdb-stub.ts";
import { G_PACKET_BYTES } from "../../src/emulator/debug/i386-registers.ts";
import { X87 } from "../../src/emulator/cpu/fpu/x87.ts";
import { Simd } from "../../src/emulator/cpu/simd/simd.ts";
import { disassemble } from "../../src/emulator/cpu/disassembler.ts";
import { checksum, framePacket } from "../../src/emulator/debug/gdb-packet.ts";
import { buildMachineConfig, parseVmArgs } from "../../scripts/vm/options.ts";
import { buildGdbTarget, canBuildTarget, targetSymbols } from "./gdb-target.ts";
import { xorshift32 } from "../xorshift.ts";

const root = resolve(import.meta.dirname, "../..");
const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

/** A scripted gdb: frames packets, feeds them to the stub, runs the machine while the stub says so
 *  (as scripts/vm does), and returns the reply packets' payloads. */
class Client {
  readonly stub: GdbStub;
  /** Everything the stub sent, as text. */
  wire = "";
  ended: string | null = null;

  constructor(readonly machine: Machine) {
    this.stub = new GdbStub(machine, { send: (b) => void (this.wire += latin1(b)), onEnd: (e) => void (this.ended = e) });
  }

  /** Sends raw bytes; returns the payloads of the packets the stub sent in response. */
  raw(text: string): string[] {
    const from = this.wire.length;
    this.stub.receive(Uint8Array.from(text, (c) => c.charCodeAt(0)));
    for (let i = 0; i < 10_000 && this.stub.running; i++) this.stub.sliceDone(this.machine.runSlice({ maxInstructions: 100_000, skipIdle: true }));
    return [...this.wire.slice(from).matchAll(/\$([^#]*)#([0-9a-f]{2})/g)].map((m) => {
      expect(parseInt(m[2]!, 16)).toBe(checksum(m[1]!)); // every reply is well formed
      return m[1]!;
    });
  }

  /** One packet, one reply. */
  ask(payload: string): string {
    const replies = this.raw(latin1(framePacket(payload)));
    expect(replies, `reply to ${JSON.stringify(payload)}`).toHaveLength(1);
    return replies[0]!;
  }

  reg(n: number): number {
    const hex = this.ask(`p${n.toString(16)}`);
    return parseInt(hex.match(/../g)!.reverse().join(""), 16);
  }
}

const EIP = 8, EDX = 2, EAX = 0;

describe.runIf(canBuildTarget)("GDB stub protocol (in-process)", () => {
  const elf = canBuildTarget ? buildGdbTarget() : "";
  const sym = canBuildTarget ? targetSymbols(elf) : new Map<string, number>();
  const at = (name: string) => sym.get(name)!;
  const hex = (n: number) => n.toString(16);
  let gdb: Client;

  beforeEach(() => {
    const opts = parseVmArgs(["--kernel", elf, "--no-vga"]);
    gdb = new Client(createMachine(buildMachineConfig(opts, join(root, "public/bios"))));
  });

  test("handshake: qSupported announces PacketSize and the features gdb needs; the machine waits at the entry point", () => {
    const supported = gdb.ask("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+");
    expect(supported).toContain("PacketSize=4000");
    expect(supported).toContain("qXfer:features:read+");
    expect(gdb.wire.startsWith("+")).toBe(true); // the packet was acknowledged
    expect(gdb.ask("?")).toBe("T05thread:01;");
    expect(gdb.ask("qAttached")).toBe("1");
    expect(gdb.ask("qC")).toBe("QC01");
    expect(gdb.ask("qfThreadInfo")).toBe("m01");
    expect(gdb.ask("qsThreadInfo")).toBe("l");
    expect(gdb.ask("Hg0")).toBe("OK");
    expect(gdb.reg(EIP)).toBe(at("_start"));
    expect(gdb.ask("qUnknownThing")).toBe(""); // unsupported: the empty reply
  });

  test("target.xml read in small pieces reassembles into the i386 description, ending with 'l'", () => {
    let xml = "", off = 0;
    for (;;) {
      const part = gdb.ask(`qXfer:features:read:target.xml:${hex(off)},40`);
      xml += part.slice(1);
      off += 0x40;
      if (part[0] === "l") break;
      expect(part[0]).toBe("m");
    }
    expect(xml).toContain("<architecture>i386</architecture>");
    expect(xml).toContain('<feature name="org.gnu.gdb.i386.core">');
    expect(xml).toMatch(/<reg name="st7" bitsize="80" type="i387_ext" regnum="23"\/>/);
    expect(xml).toMatch(/<reg name="cr3" bitsize="32" type="int32" regnum="34" group="system"\/>/);
    expect(gdb.ask("qXfer:features:read:other.xml:0,10")).toBe("E00");
  });

  test("g returns every register; G writes them back (all or nothing)", () => {
    const g = gdb.ask("g");
    expect(g).toHaveLength(G_PACKET_BYTES * 2);
    const eax = "78563412";
    expect(gdb.ask(`G${eax}${g.slice(8)}`)).toBe("OK");
    expect(gdb.reg(EAX)).toBe(0x12345678);
    // A changed CS selector (register 10, bytes 40..43) is refused and nothing else changes.
    const withCs = `00000000${g.slice(8, 80)}99000000${g.slice(88)}`;
    expect(gdb.ask(`G${withCs}`)).toBe("E22");
    expect(gdb.reg(EAX)).toBe(0x12345678);
    expect(gdb.ask("P0=efbeadde")).toBe("OK");
    expect(gdb.reg(EAX)).toBe(0xdeadbeef);
    expect(gdb.ask("Pa=99000000")).toBe("E22");
    // CS selector and base as the Multiboot entry left them (flat code segment 0x10, base 0).
    expect(gdb.reg(10)).toBe(0x10);
    expect(gdb.reg(36)).toBe(0);
    expect(gdb.reg(32) & 0x80000001).toBe(1); // CR0: protected mode, paging off
  });

  test("x87 registers are the unit's: ST0 is the register at TOP, as 80-bit extended", () => {
    const x87 = gdb.machine.cpu!.x87;
    expect(x87).toBeInstanceOf(X87);
    const x = x87 as X87;
    x.top = 7;
    x.setRegHL(7, 0x3fff, 0x80000000, 0); // 1.0 pushed as FLD1 would
    expect(gdb.ask("p10")).toBe("0000000000000080ff3f"); // st0
    expect(gdb.reg(0x19) & 0x3800).toBe(7 << 11); // fstat with TOP
    expect(gdb.reg(0x1a)).toBe(0x1555); // ftag: physical 7 valid, the rest zero (power-on tags are 5555h)
    expect(gdb.reg(0x18)).toBe(0x40); // fctrl at its power-on value (0040h; FINIT makes it 037Fh)
  });

  test("SSE registers are the unit's: XMM lanes little-endian, MXCSR", () => {
    const simd = gdb.machine.cpu!.simd;
    expect(simd).toBeInstanceOf(Simd);
    new Uint32Array((simd as Simd).xmmBuffer, 16 * 3, 4).set([0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]);
    expect(gdb.ask(`p${(42 + 3).toString(16)}`)).toBe("000102030405060708090a0b0c0d0e0f"); // xmm3
    expect(gdb.reg(50)).toBe(0x1f80); // mxcsr at power-on
  });

  test("memory: reads and writes by linear address; software breakpoints never show in guest memory", () => {
    const setValues = at("set_values");
    const original = gdb.ask(`m${hex(setValues)},5`);
    expect(original).toBe("ba1a0a7d5e"); // mov edx, 0x5E7D0A1A
    expect(gdb.ask(`Z0,${hex(setValues)},1`)).toBe("OK");
    expect(gdb.ask(`m${hex(setValues)},5`)).toBe(original);
    expect(gdb.ask(`M${hex(at("counter"))},4:2a000000`)).toBe("OK");
    expect(gdb.ask(`m${hex(at("counter"))},4`)).toBe("2a000000");
    expect(gdb.ask(`X${hex(at("counter"))},2:}\x03}\x04`)).toBe("OK"); // '#' and '$' escaped
    expect(gdb.ask(`m${hex(at("counter"))},2`)).toBe("2324");
    expect(gdb.ask(`X${hex(at("counter"))},0:`)).toBe("OK"); // gdb's probe for X support
  });

  test("memory through the guest's page tables: a read stops at an unmapped page, a read or write there is E14", () => {
    // Identity-map the first 4 MiB except the page at 0x200000, with paging on (as a kernel would).
    const cpu = gdb.machine.cpu!;
    const mem = cpu.memory;
    const dir = 0x300000, table = 0x301000;
    for (let i = 0; i < 1024; i++) mem.write32(table + i * 4, i === 0x200 ? 0 : (i << 12) | 3);
    mem.write32(dir, table | 3);
    for (let i = 1; i < 1024; i++) mem.write32(dir + i * 4, 0);
    mem.write32(0x1ffffe, 0x4433);
    cpu.cr3 = dir;
    cpu.cr0 |= 0x80000000;
    cpu.flushTlb(false);
    expect(gdb.ask("m1ffffe,2")).toBe("3344");
    expect(gdb.ask("m1ffffe,8")).toBe("3344"); // partial: up to the unmapped page
    expect(gdb.ask("m200000,4")).toBe("E14");
    expect(gdb.ask("m200ffc,8")).toBe("E14");
    expect(gdb.ask("M1ffffe,4:aabbccdd")).toBe("E14"); // crosses into the hole: nothing written
    expect(gdb.ask("m1ffffe,2")).toBe("3344");
    // Remapping 0x200000 to physical 0x1ff000 shows that page's bytes there.
    mem.write32(table + 0x200 * 4, 0x1ff000 | 3);
    expect(gdb.ask("m200ffe,2")).toBe("3344");
    // Nothing of this went through the CPU: no accessed bits set, no #PF, CR2 untouched.
    expect(mem.read32(table + 0x200 * 4) & 0x20).toBe(0);
    expect(cpu.cr2).toBe(0);
  });

  test("breakpoint, single step and watchpoint stop replies; the program then runs to its exit", () => {
    expect(gdb.ask(`Z0,${hex(at("set_values"))},1`)).toBe("OK");
    expect(gdb.ask("vCont?")).toBe("vCont;c;C;s;S");
    expect(gdb.ask("vCont;c")).toBe("T05thread:01;swbreak:;");
    expect(gdb.reg(EIP)).toBe(at("set_values"));
    expect(gdb.reg(EAX)).toBe(0xc0de0001);
    // Continuing from the breakpoint's own address steps over it rather than stopping again; the
    // step moves EIP by the length the disassembler gives the instruction (read through the stub).
    const code = Buffer.from(gdb.ask(`m${hex(at("set_values"))},10`), "hex");
    const insn = disassemble((a) => code[a - at("set_values")]!, at("set_values"), { bits: 32 });
    expect(insn.text).toBe("mov edx,0x5e7d0a1a");
    expect(gdb.ask("vCont;s:1;c")).toBe("T05thread:01;");
    expect(gdb.reg(EIP)).toBe(at("set_values") + insn.length);
    expect(gdb.reg(EDX)).toBe(0x5e7d0a1a);
    expect(gdb.ask(`z0,${hex(at("set_values"))},1`)).toBe("OK");
    expect(gdb.ask(`Z2,${hex(at("counter"))},4`)).toBe("OK");
    expect(gdb.ask("c")).toBe(`T05thread:01;watch:${hex(at("counter"))};`);
    expect(gdb.ask(`m${hex(at("counter"))},4`)).toBe("01000000");
    expect(gdb.ask(`z2,${hex(at("counter"))},4`)).toBe("OK");
    expect(gdb.ask(`Z1,${hex(at("bump"))},1`)).toBe("OK");
    expect(gdb.ask("c")).toBe("T05thread:01;hwbreak:;");
    expect(gdb.ask(`z1,${hex(at("bump"))},1`)).toBe("OK");
    expect(gdb.ask(`Z4,${hex(at("counter"))},4`)).toBe("OK");
    expect(gdb.ask("c")).toBe(`T05thread:01;awatch:${hex(at("counter"))};`); // the read of add [counter]
    expect(gdb.ask(`z4,${hex(at("counter"))},4`)).toBe("OK");
    expect(gdb.ask("c")).toBe("W21"); // isa-debug-exit 0x10: status 0x21
    expect(gdb.stub.ended).toBe(true);
  });

  test("a breakpoint on a REP STOSD that runs in restarted chunks stops once", () => {
    expect(gdb.ask(`Z0,${hex(at("fill"))},1`)).toBe("OK");
    expect(gdb.ask("c")).toBe("T05thread:01;swbreak:;");
    expect(gdb.reg(EIP)).toBe(at("fill"));
    expect(gdb.ask("c")).toBe("W21");
    const mem = gdb.machine.cpu!.memory;
    expect(mem.read32(at("buffer") + 0x4000 * 4 - 4)).toBe(0x01010101); // it ran to the end
  });

  test("Ctrl-C while running stops the machine with SIGINT (T02)", () => {
    const replies = gdb.raw(`${latin1(framePacket("c"))}\x03`);
    expect(replies).toEqual(["T02thread:01;"]);
    expect(gdb.stub.running).toBe(false);
    expect(gdb.ask("s")).toBe("T05thread:01;"); // and it can be resumed
  });

  test("Ctrl-C reaches a CPU asleep in HLT with interrupts off (no instruction runs to notice it)", () => {
    expect(gdb.ask(`M${hex(at("_start"))},2:faf4`)).toBe("OK"); // cli; hlt
    expect(gdb.raw(latin1(framePacket("c")))).toEqual([]); // still running: asleep for good
    expect(gdb.machine.cpu!.halted).toBe(true);
    expect(gdb.raw("\x03")).toEqual(["T02thread:01;"]);
    expect(gdb.reg(EIP)).toBe(at("_start") + 2);
  });

  test("a single step runs the next instruction, not the handler of a pending interrupt", () => {
    const cpu = gdb.machine.cpu!;
    expect(gdb.ask("P9=02020000")).toBe("OK"); // EFLAGS.IF on
    cpu.interruptController = { acknowledgeInterrupt: () => 0x20 };
    cpu.setIntrLine(true);
    const delivered = cpu.interruptsDelivered;
    expect(gdb.ask("s")).toBe("T05thread:01;");
    expect(gdb.reg(EIP)).toBe(at("_start") + 5); // mov esp, imm32
    expect(cpu.interruptsDelivered).toBe(delivered);
  });

  test("acks: a bad checksum gets '-', a '-' gets the last reply again, no acks after QStartNoAckMode", () => {
    expect(gdb.raw("$qC#00")).toEqual([]);
    expect(gdb.wire).toBe("-");
    gdb.ask("qC");
    expect(gdb.raw("-")).toEqual(["QC01"]);
    expect(gdb.ask("QStartNoAckMode")).toBe("OK");
    const before = gdb.wire.length;
    expect(gdb.ask("qC")).toBe("QC01");
    expect(gdb.wire.slice(before)).toBe(latin1(framePacket("QC01"))); // no "+" before it
  });

  test("k and D end the session: detach lets the machine run on, kill reports it", () => {
    expect(gdb.ask(`Z0,${hex(at("set_values"))},1`)).toBe("OK");
    expect(gdb.ask("D")).toBe("OK");
    expect(gdb.ended).toBe("detach");
    expect(gdb.machine.cpu!.hostDebugger).toBeNull(); // breakpoints gone, full speed
    const other = new Client(gdb.machine); // a later client stops the machine again
    expect(other.stub.running).toBe(false);
    expect(other.ask("?")).toBe("T05thread:01;");
    other.raw(latin1(framePacket("k")));
    expect(other.ended).toBe("kill");
  });

  test("malformed packets get E01 (or the empty reply) and the stub keeps answering", () => {
    for (const p of ["m", "mzz,4", "m100000", "M100000,4:abc", "M100000,2:aabbcc", "X100000,4:ab", "p", "pzz", "P0=1", "Pq=00",
      "Z0,", "Z0,zz,1", "z2,100000", "G123", "Hq1", "vCont;x", "vCont;", "cq", "qXfer:features:read:target.xml:zz"]) {
      expect(gdb.ask(p), p).toMatch(/^(E01|)$/);
    }
    expect(gdb.ask("Z9,100000,1")).toBe(""); // unknown breakpoint type: unsupported
    const rnd = xorshift32(15);
    for (let i = 0; i < 500; i++) {
      let p = "";
      const len = rnd() % 40;
      for (let j = 0; j < len; j++) p += String.fromCharCode(0x20 + (rnd() % 0x5e));
      p = p.replace(/[#$}*]/g, "");
      if (/^[cCsSkDv]/.test(p)) continue; // resume and end commands are checked above
      gdb.ask(p);
    }
    expect(gdb.ask("?")).toBe("T05thread:01;");
    expect(gdb.reg(EIP)).toBe(at("_start"));
    // An over-long packet is refused as a whole.
    expect(gdb.raw(`$M100000,1:${"0".repeat(0x5000)}#00`)).toEqual(["E01"]);
  });

  test("memory reads show the guest's RAM: the kernel's code as the ELF file holds it", () => {
    const image = readFileSync(elf);
    const phoff = image.readUInt32LE(28);
    const fileOffset = image.readUInt32LE(phoff + 4), vaddr = image.readUInt32LE(phoff + 8);
    const start = at("_start");
    const fromFile = image.subarray(fileOffset + start - vaddr, fileOffset + start - vaddr + 0x40).toString("hex");
    expect(gdb.ask(`m${hex(start)},40`)).toBe(fromFile);
  });
});
