import { describe, expect, it } from "vitest";
import { I8042 } from "../../src/emulator/devices/ps2/i8042.ts";
import { appendScancodes, KEY_CODES, SET2_TO_SET1 } from "../../src/emulator/devices/ps2/scancodes.ts";
import { makeTestContext } from "../devices/fake-context.ts";

function setup() {
  const ctx = makeTestContext();
  const kbc = new I8042(ctx);
  const io = ctx.io;
  const cmd = (c: number) => io.out8(0x64, c);
  const data = (d: number) => io.out8(0x60, d);
  const drain = () => {
    const out: number[] = [];
    for (let i = 0; i < 100 && io.in8(0x64) & 1; i++) out.push(io.in8(0x60));
    return out;
  };
  return { ctx, kbc, io, cmd, data, drain };
}

describe("i8042 keyboard controller", () => {
  it("passes the self tests and reads/writes the command byte", () => {
    const { cmd, data, drain, io } = setup();
    cmd(0xaa);
    expect(drain()).toEqual([0x55]);
    expect(io.in8(0x64) & 0x04).toBe(0x04); // SYS flag after self-test
    cmd(0xab);
    expect(drain()).toEqual([0x00]);
    cmd(0xa9);
    expect(drain()).toEqual([0x00]);
    cmd(0x60);
    data(0x45);
    cmd(0x20);
    expect(drain()).toEqual([0x45]);
    cmd(0xa7);
    cmd(0x20);
    expect(drain()).toEqual([0x45 | 0x20]);
    cmd(0xa8);
    cmd(0x20);
    expect(drain()).toEqual([0x45]);
  });

  it("drives A20 through the output port and requests a reset on 0xFE and output-port bit 0", () => {
    const { ctx, cmd, data, drain } = setup();
    expect(ctx.memory.a20Enabled).toBe(true);
    cmd(0xd1);
    data(0xdd);
    expect(ctx.memory.a20Enabled).toBe(false);
    cmd(0xd0);
    expect(drain()[0] & 0x03).toBe(0x01);
    cmd(0xd1);
    data(0xdf);
    expect(ctx.memory.a20Enabled).toBe(true);
    expect(ctx.resets).toEqual([]);
    cmd(0xfe);
    expect(ctx.resets.length).toBe(1);
    cmd(0xd1);
    data(0xde);
    expect(ctx.resets.length).toBe(2);
  });

  it("resets and identifies the keyboard; translates identify and scan-code-set replies", () => {
    const { cmd, data, drain, kbc, ctx } = setup();
    data(0xff);
    expect(drain()).toEqual([0xfa, 0xaa]);
    data(0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x41]); // 0x83 translated
    cmd(0x60);
    data(0x01); // translation off, IRQ1 on
    data(0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x83]);
    data(0xf0);
    data(0x00);
    expect(drain()).toEqual([0xfa, 0xfa, 0x02]);
    data(0xf0);
    data(0x01);
    drain();
    expect(kbc.keyboard.scancodeSet).toBe(1);
    data(0xed);
    data(0x05);
    expect(drain()).toEqual([0xfa, 0xfa]);
    expect(kbc.keyboard.ledState).toBe(5);
    data(0xee);
    expect(drain()).toEqual([0xee]);
    data(0xfe);
    expect(drain()).toEqual([0xee]); // resend the last byte
    expect(ctx.raises[1]).toBeGreaterThan(0);
  });

  it("sends set 2 keys translated to set 1 with IRQ1, including E0 keys, PrintScreen and Pause", () => {
    const { kbc, drain, ctx, io } = setup();
    kbc.keyboard.key("KeyA", true);
    expect(ctx.levels[1]).toBe(true);
    expect(io.in8(0x60)).toBe(0x1e);
    expect(ctx.levels[1]).toBe(false);
    kbc.keyboard.key("KeyA", false);
    expect(drain()).toEqual([0x9e]);
    kbc.keyboard.key("ArrowUp", true);
    kbc.keyboard.key("ArrowUp", false);
    expect(drain()).toEqual([0xe0, 0x48, 0xe0, 0xc8]);
    kbc.keyboard.key("ControlRight", true);
    expect(drain()).toEqual([0xe0, 0x1d]);
    kbc.keyboard.key("ControlRight", false);
    drain();
    kbc.keyboard.key("PrintScreen", true);
    kbc.keyboard.key("PrintScreen", false);
    expect(drain()).toEqual([0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa]);
    kbc.keyboard.key("Pause", true);
    kbc.keyboard.key("Pause", false);
    expect(drain()).toEqual([0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
  });

  it("sends raw set 2 codes when translation is off", () => {
    const { kbc, cmd, data, drain } = setup();
    cmd(0x60);
    data(0x01);
    kbc.keyboard.key("ArrowLeft", true);
    kbc.keyboard.key("ArrowLeft", false);
    kbc.keyboard.key("F7", true);
    expect(drain()).toEqual([0xe0, 0x6b, 0xe0, 0xf0, 0x6b, 0x83]);
  });

  it("has a translation table consistent with every key's set 1 and set 2 codes", () => {
    for (const [code, k] of KEY_CODES) expect(SET2_TO_SET1[k.set2], code).toBe(k.set1);
    const out: number[] = [];
    expect(appendScancodes("NoSuchKey", true, 2, { ctrl: false, alt: false, shift: false }, out)).toBe(false);
  });

  it("holds keyboard data while the keyboard port is disabled", () => {
    const { kbc, cmd, drain } = setup();
    cmd(0xad);
    kbc.keyboard.key("KeyB", true);
    expect(drain()).toEqual([]);
    cmd(0xae);
    expect(drain()).toEqual([0x30]);
  });

  it("talks to the mouse through 0xD4: reset, IntelliMouse detection, stream packets on IRQ12", () => {
    const { ctx, kbc, cmd, data, drain, io } = setup();
    cmd(0x60);
    data(0x03); // both IRQs, no translation
    const mouse = (b: number) => {
      cmd(0xd4);
      data(b);
    };
    mouse(0xff);
    expect(drain()).toEqual([0xfa, 0xaa, 0x00]);
    for (const rate of [200, 100, 80]) {
      mouse(0xf3);
      mouse(rate);
    }
    drain();
    mouse(0xf2);
    expect(drain()).toEqual([0xfa, 0x03]);
    mouse(0xf4);
    drain();
    kbc.mouse!.move(5, 3, 1, 1); // right 5, down 3, wheel down, left button
    expect(ctx.levels[12]).toBe(true);
    expect(io.in8(0x64) & 0x20).toBe(0x20); // AUXB
    expect(drain()).toEqual([0x08 | 0x01 | 0x20, 5, 0xfd, 0x01]);
    kbc.mouse!.move(300, 0, 0, 0); // split over two packets
    expect(drain()).toEqual([0x08, 255, 0, 0, 0x08, 45, 0, 0]);
    cmd(0xd3);
    data(0x5a); // write to the aux output buffer (loopback)
    expect(io.in8(0x64) & 0x21).toBe(0x21);
    expect(drain()).toEqual([0x5a]);
  });

  it("round-trips its state including the keyboard queue", () => {
    const a = setup();
    a.cmd(0xad);
    a.kbc.keyboard.key("KeyC", true);
    const saved = a.kbc.saveState();
    const b = setup();
    b.kbc.loadState(saved);
    b.cmd(0xae);
    expect(b.drain()).toEqual([0x2e]);
  });
});

describe("scan code set 3", () => {
  it("sends set 3 make/break codes without E0 for keys that differ from set 2", () => {
    const mods = { ctrl: false, alt: false, shift: false };
    const codes = (code: string, down: boolean) => {
      const out: number[] = [];
      appendScancodes(code, down, 3, mods, out);
      return out;
    };
    expect(codes("Escape", true)).toEqual([0x08]);
    expect(codes("F1", false)).toEqual([0xf0, 0x07]);
    expect(codes("KeyA", true)).toEqual([0x1c]);
    expect(codes("ArrowUp", true)).toEqual([0x63]);
    expect(codes("ControlRight", false)).toEqual([0xf0, 0x58]);
    expect(codes("PrintScreen", true)).toEqual([0x57]);
    expect(codes("AudioVolumeUp", true)).toEqual([]);
  });
});
