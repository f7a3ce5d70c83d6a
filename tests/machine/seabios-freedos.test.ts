import { describe, expect, it } from "vitest";
import { createMachine } from "../../src/emulator/machine.ts";
import { bootFloppy, floppyConfig, runUntilScreen, screen, type } from "./firmware-helpers.ts";

const answered = (m: ReturnType<typeof bootFloppy>, word: string) => () => new RegExp(`^${word}\\s*$`, "m").test(screen(m));

describe("SeaBIOS boots FreeDOS from the floppy", () => {
  it("reaches A:\\>, runs a command, and a snapshot restored into a fresh machine runs one too", () => {
    const m = bootFloppy("freedos-boot-1440k.img");
    runUntilScreen(m, "A:\\>");
    expect(m.vga!.mode()).toEqual({ kind: "text", cols: 80, rows: 25 });
    const snap = m.saveState();

    type(m, "echo first\r");
    runUntilScreen(m, answered(m, "first"));

    const fresh = createMachine(floppyConfig("freedos-boot-1440k.img"));
    fresh.loadState(snap);
    expect(screen(fresh)).toContain("A:\\>");
    expect(answered(fresh, "first")()).toBe(false);
    type(fresh, "echo restored\r");
    runUntilScreen(fresh, answered(fresh, "restored"));
  });
});
