import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { StateError, type SavedState } from "../../src/emulator/state.ts";
import { runUntilScreen, screen, type } from "../machine/firmware-helpers.ts";
import { createFixtureMachine, fixtureConfig, fixtureImageSha256, sha256 } from "./fixture-machine.ts";
import { decodeStateFile } from "./state-file.ts";

/** A state tree as text, typed arrays by SHA-256 (deep equality on 16 MiB of VRAM is too slow). */
function digest(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (ArrayBuffer.isView(x) ? `${x.constructor.name}:${sha256(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))}` : x));
}

const fixture = decodeStateFile(readFileSync(new URL("fixtures/freedos-0.1.0.state.gz", import.meta.url)));

describe("a snapshot saved by release 0.1.0", () => {
  it("was made from the same image and firmware this test builds the machine from", () => {
    const config = fixtureConfig();
    const about = fixture.about as { image: { sha256: string }; bios: { sha256: string }; vgaBios: { sha256: string } };
    expect(fixtureImageSha256()).toBe(about.image.sha256);
    expect(sha256(config.bios!)).toBe(about.bios.sha256);
    expect(sha256(config.vgaBios!)).toBe(about.vgaBios.sha256);
  });

  it("loads into this build and FreeDOS goes on answering commands", () => {
    const m = createFixtureMachine();
    m.loadState(fixture.state);
    expect(screen(m)).toContain("FreeCom version 0.82");
    type(m, "echo restored\r");
    runUntilScreen(m, () => /^restored\s*$/m.test(screen(m)));
    expect(m.state).not.toBe("crashed");
  });

  it("saves again to the same tree it loaded (nothing dropped or renamed on the way)", () => {
    const m = createFixtureMachine();
    m.loadState(fixture.state);
    const again = m.saveState();
    expect(Object.keys(again.fields).sort()).toEqual(Object.keys(fixture.state.fields).sort());
    expect(digest(again.fields.ram)).toBe(digest(fixture.state.fields.ram));
  });
});

describe("loading a whole-machine snapshot", () => {
  it("checks every part before changing any: a bad VGA field leaves RAM, CPU and devices as they were", () => {
    const m = createFixtureMachine();
    const before = m.saveState();
    const devices = fixture.state.fields.devices as unknown as Record<string, SavedState>;
    const bad: SavedState = {
      ...fixture.state,
      fields: { ...fixture.state.fields, devices: { ...devices, vga: { ...devices.vga, fields: { ...devices.vga.fields, misc: 300 } } } as never },
    };
    expect(() => m.loadState(bad)).toThrow(new StateError('vga: field "misc" must be an integer 0..255, got 300'));
    const after = m.saveState();
    expect(digest(after)).toBe(digest(before));
  });

  it("refuses a snapshot from a newer build", () => {
    const m = createFixtureMachine();
    expect(() => m.loadState({ ...fixture.state, version: 99 })).toThrow(new StateError("machine: version 99 is newer than this build supports (1)"));
    const cpu = fixture.state.fields.cpu as unknown as SavedState;
    expect(() => m.loadState({ ...fixture.state, fields: { ...fixture.state.fields, cpu: { ...cpu, version: 3 } as never } })).toThrow(
      new StateError("cpu: version 3 is newer than this build supports (2)"),
    );
  });
});
