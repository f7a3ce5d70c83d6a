import { describe, expect, it } from "vitest";
import { bootFloppy, runUntilScreen, screen } from "./firmware-helpers.ts";

describe("SeaBIOS boots the other bring-up floppies", () => {
  it("bootOS shows its $ prompt (360 KB floppy)", () => {
    const m = bootFloppy("bootos.img");
    runUntilScreen(m, () => /^\$/m.test(screen(m)));
    expect(screen(m)).toContain("bootOS");
  });

  it("MikeOS 4.5 shows its welcome dialog", () => {
    const m = bootFloppy("mikeos-4.5.flp");
    runUntilScreen(m, "Welcome to MikeOS");
  });

  it("floppybird (an 8.5 KB boot-sector image, padded like QEMU) switches to mode 13h", () => {
    const m = bootFloppy("floppybird.img");
    runUntilScreen(m, () => m.vga!.mode().kind === "graphics");
    expect(m.vga!.mode()).toEqual({ kind: "graphics", width: 320, height: 200, bpp: 8 });
  });

  it("FreeDOS on a 160 KB single-sided floppy reaches A:\\>", () => {
    const m = bootFloppy("freedos-boot-160k.img");
    runUntilScreen(m, "A:\\>");
  });
});
