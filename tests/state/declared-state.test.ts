import { describe, expect, it } from "vitest";
import { Uart16550 } from "../../src/emulator/devices/serial/uart-16550.ts";
import { bool, range, record, StateError, StateLayout, typed, u8, type SavedState } from "../../src/emulator/state.ts";
import { makePlatform } from "../machine/helpers.ts";

function uart() {
  const { ctx } = makePlatform();
  return { ctx, uart: new Uart16550(ctx, { index: 0 }) };
}

/** A saved state with one field replaced (deep enough for these tests). */
function withField(s: SavedState, name: string, value: unknown): SavedState {
  return { ...s, fields: { ...s.fields, [name]: value as never } };
}

describe("a device's declared state", () => {
  it("refuses a newer version with a message that names both versions", () => {
    const { uart: u } = uart();
    const s = u.saveState();
    expect(() => u.loadState({ ...s, version: s.version + 1 })).toThrow(new StateError(`uart16550: version ${s.version + 1} is newer than this build supports (${s.version})`));
  });

  it("names the field and its range when a value is out of range, and changes nothing", () => {
    const { ctx, uart: u } = uart();
    ctx.io.out8(0x3f8 + 7, 0x5a); // scratch register
    const before = u.saveState();
    expect(() => u.loadState(withField(withField(before, "scr", 0x11), "divisor", 0x10000))).toThrow(
      new StateError('uart16550: field "divisor" must be an integer 0..65535, got 65536'),
    );
    expect(ctx.io.in8(0x3f8 + 7)).toBe(0x5a); // scr was not assigned before the bad divisor was found
  });

  it("names the field when a value has the wrong type or a typed array the wrong length", () => {
    const { uart: u } = uart();
    const s = u.saveState();
    expect(() => u.loadState(withField(s, "thrInterrupt", 1))).toThrow('uart16550: field "thrInterrupt" must be a boolean, got 1');
    expect(() => u.loadState(withField(s, "rx", new Uint8Array(3)))).toThrow('uart16550: field "rx" has length 3, expected 16');
    expect(() => u.loadState(withField(s, "rx", new Uint16Array(16)))).toThrow('uart16550: field "rx" must be a Uint8Array, got a Uint16Array');
    expect(() => u.loadState(withField(s, "bogus", 1))).toThrow('uart16550: unknown field "bogus"');
    const missing = { ...s.fields };
    delete missing.ier;
    expect(() => u.loadState({ ...s, fields: missing })).toThrow('uart16550: field "ier" is missing');
  });

  it("throws StateError, never RangeError, for every kind of bad input", () => {
    const { uart: u } = uart();
    const s = u.saveState();
    const bad: unknown[] = [null, 3, { ...s, type: "pit-8254" }, { ...s, fields: null }, withField(s, "txHead", -1), withField(s, "timeoutRemainingNs", NaN)];
    for (const b of bad) expect(() => u.loadState(b as SavedState)).toThrow(StateError);
  });
});

describe("a layout whose version 2 added and changed fields", () => {
  // Version 1 had {count, flags}; version 2 added `mode` (default 0) and split `flags` into booleans.
  class Widget {
    count = 0;
    mode = 0;
    on = false;
    ready = false;
    readonly regs = new Uint8Array(4);
    inner = { level: 0 };
  }
  const V2 = new StateLayout<Widget>(
    "widget",
    2,
    {
      count: u8(),
      mode: range(0, 3, { since: 2, default: 0 }),
      on: bool({ since: 2 }),
      ready: bool({ since: 2 }),
      regs: typed(Uint8Array, 4),
      inner: record({ level: range(0, 9) }),
    },
    {
      upgrades: {
        1: (f) => {
          const flags = f.flags as number;
          delete f.flags;
          f.on = (flags & 1) !== 0;
          f.ready = (flags & 2) !== 0;
        },
      },
    },
  );
  const v1: SavedState = { type: "widget", version: 1, fields: { count: 7, flags: 3, regs: new Uint8Array([1, 2, 3, 4]), inner: { level: 5 } } };

  it("loads a version-1 stream through the upgrade step, with the default for the added field", () => {
    const w = new Widget();
    w.mode = 2;
    V2.load(w, v1);
    expect({ count: w.count, mode: w.mode, on: w.on, ready: w.ready, regs: [...w.regs], level: w.inner.level }).toEqual({
      count: 7,
      mode: 0,
      on: true,
      ready: true,
      regs: [1, 2, 3, 4],
      level: 5,
    });
    expect(V2.save(w)).toEqual({ type: "widget", version: 2, fields: { count: 7, mode: 0, on: true, ready: true, regs: new Uint8Array([1, 2, 3, 4]), inner: { level: 5 } } });
  });

  it("does not change the caller's version-1 fields while upgrading", () => {
    V2.check(v1);
    expect(v1.fields.flags).toBe(3);
  });

  it("names a nested field by its path", () => {
    expect(() => V2.check({ ...v1, fields: { ...v1.fields, inner: { level: 10 } } })).toThrow('widget: field "inner.level" must be an integer 0..9, got 10');
  });

  it("refuses a version older than the layout still loads", () => {
    const strict = new StateLayout<Widget>("widget", 2, { count: u8() }, { minVersion: 2 });
    expect(() => strict.check(v1)).toThrow("widget: version 1 is older than this build still loads (2)");
  });
});
