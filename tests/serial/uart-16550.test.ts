import { describe, expect, it } from "vitest";
import { Uart16550 } from "../../src/emulator/devices/serial/uart-16550.ts";
import { makeTestContext } from "../devices/fake-context.ts";

const COM1 = 0x3f8;

function setup() {
  const ctx = makeTestContext();
  const uart = new Uart16550(ctx, { index: 0 });
  const out: number[] = [];
  uart.onTransmit((b) => out.push(b));
  return { ctx, uart, out, io: ctx.io };
}

describe("16550A UART", () => {
  it("looks like a 16550A to Linux's probe: scratch, IER, loopback MSR, FIFO IIR bits", () => {
    const { io } = setup();
    io.out8(COM1 + 7, 0xa5);
    expect(io.in8(COM1 + 7)).toBe(0xa5);
    io.out8(COM1 + 1, 0xff);
    expect(io.in8(COM1 + 1)).toBe(0x0f); // only the four enable bits exist
    io.out8(COM1 + 1, 0);
    io.out8(COM1 + 4, 0x10 | 0x0a); // loop + RTS + OUT2
    expect(io.in8(COM1 + 6) & 0xf0).toBe(0x90); // CTS + DCD
    io.out8(COM1 + 4, 0);
    io.out8(COM1 + 2, 0x01);
    expect(io.in8(COM1 + 2) & 0xc0).toBe(0xc0); // FIFO enabled → 16550A
    io.out8(COM1 + 2, 0x21); // 64-byte bit of a 16750: not present
    expect((io.in8(COM1 + 2) >> 5) & 7).toBe(6);
    io.out8(COM1 + 2, 0);
    expect(io.in8(COM1 + 2)).toBe(0x01);
  });

  it("re-asserts THRE each time the THRE interrupt is enabled while THR is empty", () => {
    const { io, ctx } = setup();
    io.out8(COM1 + 4, 0x08); // OUT2 gates the IRQ
    io.out8(COM1 + 1, 0x02);
    expect(ctx.levels[4]).toBe(true);
    expect(io.in8(COM1 + 2)).toBe(0x02); // THRE identified...
    expect(io.in8(COM1 + 2)).toBe(0x01); // ...and acknowledged by that read
    expect(ctx.levels[4]).toBe(false);
    io.out8(COM1 + 1, 0);
    io.out8(COM1 + 1, 0x02);
    expect(io.in8(COM1 + 2)).toBe(0x02);
    // Writing THR clears THRE; the immediate transmission makes THR empty again.
    io.out8(COM1, 0x41);
    expect(io.in8(COM1 + 5) & 0x60).toBe(0x60);
    expect(io.in8(COM1 + 2)).toBe(0x02);
  });

  it("sends bytes immediately and holds THR full under host back-pressure", () => {
    const { io, uart, out } = setup();
    io.out8(COM1, 0x48);
    io.out8(COM1, 0x69);
    expect(out).toEqual([0x48, 0x69]);
    uart.setTransmitHold(true);
    io.out8(COM1 + 2, 0x01);
    for (let i = 0; i < 16; i++) io.out8(COM1, 0x30 + i);
    expect(out.length).toBe(2);
    expect(io.in8(COM1 + 5) & 0x60).toBe(0); // THR not empty
    uart.setTransmitHold(false);
    expect(out.length).toBe(18);
    expect(out[17]).toBe(0x3f);
    expect(io.in8(COM1 + 5) & 0x60).toBe(0x60);
    // A guest that stops waiting for THRE while held still loses nothing.
    uart.setTransmitHold(true);
    for (let i = 0; i < 40; i++) io.out8(COM1, i);
    uart.setTransmitHold(false);
    expect(out.slice(18)).toEqual([...Array(40).keys()]);
  });

  it("lets the host hold output from inside its transmit listener", () => {
    const { io, uart } = setup();
    const got: number[] = [];
    uart.onTransmit((b) => {
      got.push(b);
      if (got.length % 3 === 0) uart.setTransmitHold(true); // ring full after every third byte
    });
    uart.setTransmitHold(true);
    io.out8(COM1 + 2, 0x01);
    for (let i = 0; i < 10; i++) io.out8(COM1, 0x61 + i);
    for (let round = 0; round < 20 && got.length < 10; round++) uart.setTransmitHold(false);
    expect(got).toEqual([...Array(10).keys()].map((i) => 0x61 + i));
  });

  it("receives into the FIFO, raises RDA at the trigger level, and refuses bytes when full", () => {
    const { io, uart, ctx } = setup();
    io.out8(COM1 + 4, 0x08);
    io.out8(COM1 + 2, 0x81); // FIFO, trigger 8
    io.out8(COM1 + 1, 0x01);
    for (let i = 0; i < 7; i++) expect(uart.receive(i)).toBe(true);
    expect(io.in8(COM1 + 2) & 0x0f).toBe(0x01);
    expect(ctx.levels[4]).toBe(false);
    uart.receive(7);
    expect(io.in8(COM1 + 2) & 0x0f).toBe(0x04);
    expect(ctx.levels[4]).toBe(true);
    for (let i = 8; i < 16; i++) expect(uart.receive(i)).toBe(true);
    expect(uart.receive(99)).toBe(false); // full: the host keeps the byte
    const got: number[] = [];
    while (io.in8(COM1 + 5) & 1) got.push(io.in8(COM1));
    expect(got).toEqual([...Array(16).keys()]);
    expect(ctx.levels[4]).toBe(false);
    expect(io.in8(COM1 + 5) & 0x02).toBe(0); // no overrun: nothing was dropped
  });

  it("signals a character timeout for data below the trigger level", () => {
    const { io, uart, ctx } = setup();
    io.out8(COM1 + 4, 0x08);
    io.out8(COM1 + 3, 0x80);
    io.out8(COM1, 1); // 115200 baud
    io.out8(COM1 + 1, 0);
    io.out8(COM1 + 3, 0x03); // 8N1: 10 bits → 86.8 µs per char
    io.out8(COM1 + 2, 0xc1); // trigger 14
    io.out8(COM1 + 1, 0x01);
    uart.receive(0x55);
    expect(io.in8(COM1 + 2) & 0x0f).toBe(0x01);
    ctx.advance(300_000); // 3.5 char times: not yet
    expect(ctx.levels[4]).toBe(false);
    ctx.advance(50_000);
    expect(ctx.levels[4]).toBe(true);
    expect(io.in8(COM1 + 2) & 0x0f).toBe(0x0c);
    expect(io.in8(COM1)).toBe(0x55);
    expect(ctx.levels[4]).toBe(false);
  });

  it("loops transmit into receive, overruns after 16 bytes (FIFO size probe), and reports it in LSR", () => {
    const { io, out, ctx } = setup();
    io.out8(COM1 + 2, 0x07);
    io.out8(COM1 + 4, 0x18); // loop + OUT2
    io.out8(COM1 + 1, 0x05);
    for (let i = 0; i < 20; i++) io.out8(COM1, i);
    expect(out).toEqual([]);
    expect(ctx.levels[4]).toBe(false); // the IRQ is not driven in loopback
    const lsr = io.in8(COM1 + 5);
    expect(lsr & 0x03).toBe(0x03); // data ready + overrun
    expect(io.in8(COM1 + 5) & 0x02).toBe(0); // cleared by reading LSR
    let n = 0;
    while (io.in8(COM1 + 5) & 1) {
      expect(io.in8(COM1)).toBe(n);
      n++;
    }
    expect(n).toBe(16);
  });

  it("reports host modem line changes through MSR deltas and a modem-status interrupt", () => {
    const { io, uart, ctx } = setup();
    expect(io.in8(COM1 + 6)).toBe(0xb0); // a ready terminal by default: CTS, DSR, DCD
    uart.setModemLines({ cts: false, dsr: false, dcd: false });
    expect(io.in8(COM1 + 6)).toBe(0x0b); // deltas for CTS, DSR, DCD
    io.out8(COM1 + 4, 0x08);
    io.out8(COM1 + 1, 0x08);
    uart.setModemLines({ cts: true, dcd: true, ri: true });
    expect(ctx.levels[4]).toBe(true);
    expect(io.in8(COM1 + 2)).toBe(0x00);
    expect(io.in8(COM1 + 6)).toBe(0xd0 | 0x09);
    expect(ctx.levels[4]).toBe(false);
    uart.setModemLines({ ri: false });
    expect(io.in8(COM1 + 6)).toBe(0x90 | 0x04); // trailing edge of RI
  });

  it("saves and restores FIFO contents and registers", () => {
    const a = setup();
    a.io.out8(COM1 + 2, 0x01);
    a.io.out8(COM1 + 3, 0x1b);
    a.uart.receive(0x31);
    a.uart.receive(0x32);
    const saved = a.uart.saveState();
    const b = setup();
    b.uart.loadState(saved);
    expect(b.io.in8(COM1 + 3)).toBe(0x1b);
    expect(b.io.in8(COM1)).toBe(0x31);
    expect(b.io.in8(COM1)).toBe(0x32);
    expect(b.io.in8(COM1 + 5) & 1).toBe(0);
  });
});
