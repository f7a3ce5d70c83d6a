// Acceptance (issue 4, item 5): the bring-up guests in ../shared/guests boot through SeaBIOS from
// floppy, as one declarative matrix: image, what the screen must show (text in VGA memory or a video
// mode), and commands typed on the PS/2 keyboard with the answer each must produce.

import { describe, expect, it } from "vitest";
import { bootFloppy, runUntilScreen, screen, type } from "./firmware-helpers.ts";

interface Expectation {
  /** Text in VGA memory, or a video mode. */
  screen?: RegExp;
  mode?: { kind: "graphics"; width: number; height: number; bpp: number };
}

interface OsCase {
  name: string;
  image: string;
  boots: Expectation;
  /** Typed after boot, each followed by Enter; the answer must then be on the screen. */
  commands?: { type: string; answer: RegExp }[];
}

const MATRIX: OsCase[] = [
  {
    name: "FreeDOS, 1.44 MB floppy",
    image: "freedos-boot-1440k.img",
    boots: { screen: /A:\\>/ },
    commands: [{ type: "ver", answer: /FreeCom version/i }],
  },
  {
    name: "FreeDOS, 160 KB single-sided floppy",
    image: "freedos-boot-160k.img",
    boots: { screen: /A:\\>/ },
    commands: [{ type: "ver", answer: /FreeCom version/i }],
  },
  { name: "MikeOS 4.5", image: "mikeos-4.5.flp", boots: { screen: /Welcome to MikeOS/ } },
  {
    name: "bootOS (360 KB floppy)",
    image: "bootos.img",
    boots: { screen: /^\$/m },
    commands: [{ type: "dir", answer: /^[a-z0-9]+\s*$/ }],
  },
  {
    name: "floppybird (boot-sector game)",
    image: "floppybird.img",
    boots: { mode: { kind: "graphics", width: 320, height: 200, bpp: 8 } },
  },
];

describe("SeaBIOS boots the bring-up floppies (OS matrix)", () => {
  for (const os of MATRIX) {
    it(`${os.name}: ${os.boots.screen ? `shows ${os.boots.screen}` : `switches to ${os.boots.mode!.width}x${os.boots.mode!.height}x${os.boots.mode!.bpp}`}${os.commands ? ` and answers ${os.commands.map((c) => c.type).join(", ")}` : ""}`, () => {
      const m = bootFloppy(os.image);
      if (os.boots.screen) runUntilScreen(m, () => os.boots.screen!.test(screen(m)));
      if (os.boots.mode) {
        runUntilScreen(m, () => m.vga!.mode().kind === "graphics");
        expect(m.vga!.mode()).toEqual(os.boots.mode);
      }
      for (const c of os.commands ?? []) {
        // The answer must follow the command line as typed (earlier output may scroll away).
        const answered = () => {
          const lines = screen(m).split("\n");
          let at = -1;
          lines.forEach((l, i) => {
            if (l.trimEnd().endsWith(c.type)) at = i;
          });
          return at >= 0 && lines.slice(at + 1).some((l) => c.answer.test(l));
        };
        type(m, `${c.type}\r`);
        runUntilScreen(m, answered);
      }
    });
  }
});
