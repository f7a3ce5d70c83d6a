// A 128-byte EDID 1.4 base block for the virtual monitor, exposed at the start of the MMIO BAR
// (where QEMU's std-vga puts it, and where Linux's bochs driver looks for it). It advertises a
// preferred 1024x768 at 60 Hz plus the usual established and standard VESA timings.

export const EDID_SIZE = 128;

export function buildEdid(): Uint8Array {
  const e = new Uint8Array(EDID_SIZE);
  e.set([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00], 0); // header
  // Manufacturer "HTB": three 5-bit letters (A = 1), big-endian.
  const id = (letter(`H`) << 10) | (letter(`T`) << 5) | letter(`B`);
  e[8] = id >> 8;
  e[9] = id & 0xff;
  e[10] = 0x01; // product code, little-endian
  e[11] = 0x00;
  e[16] = 1; // week of manufacture
  e[17] = 2026 - 1990; // year
  e[18] = 1; // EDID version 1.4
  e[19] = 4;
  e[20] = 0xa5; // digital input, 8 bits per colour, DisplayPort
  e[21] = 32; // screen size in cm (4:3, about 16 inches)
  e[22] = 24;
  e[23] = 120; // gamma 2.2: (2.2 * 100) - 100
  e[24] = 0x06; // features: RGB 4:4:4, sRGB default colour space, preferred timing is native
  // Chromaticity of sRGB primaries and D65 white, 10-bit fixed point (value * 1024).
  const chroma = [0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329].map((v) => Math.round(v * 1024));
  const [rx, ry, gx, gy, bx, by, wx, wy] = chroma;
  e[25] = ((rx & 3) << 6) | ((ry & 3) << 4) | ((gx & 3) << 2) | (gy & 3);
  e[26] = ((bx & 3) << 6) | ((by & 3) << 4) | ((wx & 3) << 2) | (wy & 3);
  [rx, ry, gx, gy, bx, by, wx, wy].forEach((v, i) => (e[27 + i] = v >> 2));
  // Established timings: 720x400@70 (text), 640x480@60, 800x600@60; 1024x768@60.
  e[35] = 0x80 | 0x20 | 0x01;
  e[36] = 0x08;
  e[37] = 0x00;
  // Standard timings: (x / 8 - 31), aspect bits 7-6 (00 16:10, 01 4:3, 10 5:4, 11 16:9) | (refresh - 60).
  const standard: [number, number][] = [
    [1280, 0b01], // 1280x960
    [1280, 0b10], // 1280x1024
    [1600, 0b01], // 1600x1200
    [1920, 0b11], // 1920x1080
    [1280, 0b11], // 1280x720
    [1440, 0b00], // 1440x900
  ];
  for (let i = 0; i < 8; i++) {
    const s = standard[i];
    e[38 + i * 2] = s ? s[0] / 8 - 31 : 0x01;
    e[39 + i * 2] = s ? s[1] << 6 : 0x01;
  }
  // Descriptor 1: preferred detailed timing, VESA DMT 1024x768 at 60 Hz (65 MHz pixel clock).
  detailedTiming(e, 54, { clock10kHz: 6500, hActive: 1024, hBlank: 320, hSyncOffset: 24, hSyncWidth: 136, vActive: 768, vBlank: 38, vSyncOffset: 3, vSyncWidth: 6, widthMm: 320, heightMm: 240 });
  // Descriptor 2: range limits 50-75 Hz vertical, 30-100 kHz horizontal, 200 MHz, no extra timing formula.
  e.set([0, 0, 0, 0xfd, 0, 50, 75, 30, 100, 20, 0x01, 0x0a, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20], 72);
  // Descriptor 3: monitor name.
  e.set([0, 0, 0, 0xfc, 0], 90);
  const name = "Hypertab VGA\n";
  for (let i = 0; i < 13; i++) e[95 + i] = i < name.length ? name.charCodeAt(i) : 0x20;
  // Descriptor 4: dummy.
  e.set([0, 0, 0, 0x10, 0], 108);
  e[126] = 0; // no extension blocks
  let sum = 0;
  for (let i = 0; i < 127; i++) sum += e[i];
  e[127] = (256 - (sum & 0xff)) & 0xff;
  return e;
}

function letter(c: string): number {
  return c.charCodeAt(0) - 64;
}

interface Timing {
  clock10kHz: number;
  hActive: number;
  hBlank: number;
  hSyncOffset: number;
  hSyncWidth: number;
  vActive: number;
  vBlank: number;
  vSyncOffset: number;
  vSyncWidth: number;
  widthMm: number;
  heightMm: number;
}

function detailedTiming(e: Uint8Array, at: number, t: Timing): void {
  e[at] = t.clock10kHz & 0xff;
  e[at + 1] = t.clock10kHz >> 8;
  e[at + 2] = t.hActive & 0xff;
  e[at + 3] = t.hBlank & 0xff;
  e[at + 4] = ((t.hActive >> 8) << 4) | (t.hBlank >> 8);
  e[at + 5] = t.vActive & 0xff;
  e[at + 6] = t.vBlank & 0xff;
  e[at + 7] = ((t.vActive >> 8) << 4) | (t.vBlank >> 8);
  e[at + 8] = t.hSyncOffset & 0xff;
  e[at + 9] = t.hSyncWidth & 0xff;
  e[at + 10] = ((t.vSyncOffset & 0x0f) << 4) | (t.vSyncWidth & 0x0f);
  e[at + 11] = ((t.hSyncOffset >> 8) << 6) | ((t.hSyncWidth >> 8) << 4) | ((t.vSyncOffset >> 4) << 2) | (t.vSyncWidth >> 4);
  e[at + 12] = t.widthMm & 0xff;
  e[at + 13] = t.heightMm & 0xff;
  e[at + 14] = ((t.widthMm >> 8) << 4) | (t.heightMm >> 8);
  e[at + 15] = 0; // no border
  e[at + 16] = 0;
  e[at + 17] = 0x18; // digital separate sync, negative horizontal and vertical polarity
}
