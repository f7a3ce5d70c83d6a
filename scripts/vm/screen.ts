// What `npm run vm -- --screenshot F / --screen-text` leave behind when the guest stops: the VGA
// screen as a PNG file, or the text screen as lines.

import { writeFileSync } from "node:fs";
import type { VgaView } from "../../src/emulator/machine-api.ts";
import { encodePng } from "../../src/hypervisor/png.ts";

export function saveScreenshot(vga: VgaView, file: string): { width: number; height: number } {
  const { width, height, pixels } = vga.render();
  writeFileSync(file, encodePng(width, height, pixels));
  return { width, height };
}

/** The text screen, one line per row without trailing blanks; null in a graphics mode. */
export function screenText(vga: VgaView): string | null {
  const mode = vga.mode();
  if (mode.kind !== "text") return null;
  return vga.textLines().map((l) => l.trimEnd()).join("\n") + "\n";
}
