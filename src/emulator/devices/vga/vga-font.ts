// The 8x16 font loaded into plane 2 at power-on, so the text screen renders before (or without) a
// VGA BIOS run, e.g. for a direct Linux boot: the VGA BIOS image's own font when one is configured,
// else a built-in fallback; a BIOS mode set replaces it anyway. Printable ASCII comes from
// the project's own 5x7 glyphs (doubled vertically), box drawing and block characters are drawn
// from their line segments, accented letters reuse their base letter, and the rest stays blank.

import { CP437 } from "./vga-text.ts";

/** 0x20-0x7E as 7 rows of 5 pixels each, one hex byte per row (bit 4 = leftmost). */
const ASCII_5X7 =
  "00000000000000040404040400040a0a00000000000a0a1f0a1f0a0a040f140e051e04181902040813030c12140815120d04040800000000" +
  "02040808080402080402020204080004150e1504000004041f040400000000000c04080000001f00000000000000000c0c00010204081000" +
  "0e11131519110e040c040404040e0e11010204081f1f02040201110e02060a121f02021f101e0101110e0608101e11110e1f010204080808" +
  "0e11110e11110e0e11110f01020c000c0c000c0c00000c0c000c04080204081008040200001f001f0000080402010204080e110102040004" +
  "0e11010d15150e0e11111f1111111e11111e11111e0e11101010110e1c12111111121c1f10101e10101f1f10101e1010100e11101711110f" +
  "1111111f1111110e04040404040e0702020202120c111214181412111010101010101f111b1515111111111119151311110e11111111110e" +
  "1e11111e1010100e11111115120d1e11111e1412110f10100e01011e1f0404040404041111111111110e11111111110a041111111515150a" +
  "11110a040a111111110a040404041f01020408101f0e08080808080e001008040201000e02020202020e040a11000000000000000000001f" +
  "0804020000000000000e010f110f1010161911111e00000e1010110e01010d1311110f00000e111f100e0609081c080808000f11110f010e" +
  "1010161911111104000c0404040e0200060202120c0808090a0c0a090c04040404040e00001a151511110000161911111100000e1111110e" +
  "00001e111e101000000d130f01010000161910101000000e100e011e08081c080809060000111111130d00001111110a040000111115150a" +
  "0000110a040a11000011110f010e00001f0204081f02040408040402040404040404040804040204040800000815020000";

/** Box-drawing arms (up, down, left, right; 0 none, 1 single, 2 double) of 0xB3-0xDA. */
const BOX_ARMS =
  "11001110112022100210012022202200022020202010102001101001" +
  "10110111110100111111110222012002020220220222220200222222" +
  "102220110122021120011002010202012211112210100101";

export const FALLBACK_FONT_HEIGHT = 16;

/** Builds the 256 x 16-byte fallback font. */
export function buildFallbackFont(): Uint8Array {
  const font = new Uint8Array(256 * FALLBACK_FONT_HEIGHT);
  const glyph = (code: number) => font.subarray(code * FALLBACK_FONT_HEIGHT, (code + 1) * FALLBACK_FONT_HEIGHT);
  for (let code = 0x20; code < 0x7f; code++) drawAscii(glyph(code), code);
  for (let code = 0x80; code < 0x100; code++) {
    const base = CP437[code].normalize("NFD").charCodeAt(0);
    if (base >= 0x21 && base < 0x7f) drawAscii(glyph(code), base);
  }
  for (let code = 0xb3; code <= 0xda; code++) {
    const i = (code - 0xb3) * 4;
    drawBox(glyph(code), +BOX_ARMS[i], +BOX_ARMS[i + 1], +BOX_ARMS[i + 2], +BOX_ARMS[i + 3]);
  }
  const shade = (code: number, even: number, odd: number) => {
    const g = glyph(code);
    for (let y = 0; y < 16; y++) g[y] = y & 1 ? odd : even;
  };
  shade(0xb0, 0x88, 0x22);
  shade(0xb1, 0xaa, 0x55);
  shade(0xb2, 0xee, 0xbb);
  glyph(0xdb).fill(0xff);
  glyph(0xdc).fill(0xff, 8);
  glyph(0xdd).fill(0xf0);
  glyph(0xde).fill(0x0f);
  glyph(0xdf).fill(0xff, 0, 8);
  glyph(0xfe).fill(0x7e, 4, 12);
  return font;
}

function drawAscii(g: Uint8Array, code: number): void {
  const at = (code - 0x20) * 14;
  for (let row = 0; row < 7; row++) {
    const bits = parseInt(ASCII_5X7.slice(at + row * 2, at + row * 2 + 2), 16) << 2;
    g[1 + row * 2] = bits;
    g[2 + row * 2] = bits;
  }
}

function drawBox(g: Uint8Array, up: number, down: number, left: number, right: number): void {
  // Single lines run through column 3 / row 7; double lines use columns 2 and 4 / rows 6 and 8.
  const vertical = (kind: number, from: number, to: number) => {
    const bits = kind === 2 ? 0x28 : kind === 1 ? 0x10 : 0;
    for (let y = from; y <= to; y++) g[y] |= bits;
  };
  const horizontal = (kind: number, mask: number) => {
    if (kind === 1) g[7] |= mask;
    if (kind === 2) {
      g[6] |= mask;
      g[8] |= mask;
    }
  };
  vertical(up, 0, 7);
  vertical(down, 7, 15);
  horizontal(left, 0xf0);
  horizontal(right, 0x1f);
}

/** Finds the 8x16 character table inside a VGA BIOS image (the font a BIOS mode set would load),
 *  by its shape: NUL and space blank, 0xDB a full block, 'A' and '_' not blank. Null when absent. */
export function findRomFont16(rom: Uint8Array): Uint8Array | null {
  const size = 256 * 16;
  const blank = (at: number) => {
    for (let i = 0; i < 16; i++) if (rom[at + i] !== 0) return false;
    return true;
  };
  for (let o = 0; o + size <= rom.length; o++) {
    if (!blank(o) || !blank(o + 0x20 * 16)) continue;
    let full = true;
    for (let i = 0; i < 16 && full; i++) full = rom[o + 0xdb * 16 + i] === 0xff;
    if (!full || blank(o + 0x41 * 16) || blank(o + 0x5f * 16)) continue;
    return rom.slice(o, o + size);
  }
  return null;
}

let builtIn: Uint8Array | null = null;

/** Writes a 256 x 16-line font into font map 0 of plane 2 (32 lines reserved per character): the
 *  given one (e.g. found in the VGA BIOS image) or the built-in fallback. */
export function loadFallbackFont(vram: Uint8Array, font?: Uint8Array | null): void {
  const glyphs = font && font.length === 256 * FALLBACK_FONT_HEIGHT ? font : (builtIn ??= buildFallbackFont());
  for (let code = 0; code < 256; code++) {
    for (let line = 0; line < FALLBACK_FONT_HEIGHT; line++) {
      vram[((code * 32 + line) << 2) | 2] = glyphs[code * FALLBACK_FONT_HEIGHT + line];
    }
  }
}
