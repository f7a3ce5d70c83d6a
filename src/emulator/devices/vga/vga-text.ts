// Code page 437 (the VGA's built-in character set) to Unicode, for reading the text screen as
// strings. Control-code positions map to the symbols the VGA font draws there (☺, ♥, ►...), NUL and
// 0xFF (non-breaking space) to a plain space so lines compare naturally.

const LOW =
  " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼" + //
  "►◄↕‼¶§▬↨↑↓→←∟↔▲▼";

const HIGH =
  "ÇüéâäàåçêëèïîìÄÅ" +
  "ÉæÆôöòûùÿÖÜ¢£¥₧ƒ" +
  "áíóúñÑªº¿⌐¬½¼¡«»" +
  "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐" +
  "└┴┬├─┼╞╟╚╔╩╦╠═╬╧" +
  "╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
  "αßΓπΣσµτΦΘΩδ∞φε∩" +
  "≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ";

/** CP437 byte → Unicode string (one UTF-16 unit each; every entry is in the BMP). */
export const CP437: readonly string[] = buildTable();

function buildTable(): string[] {
  const table = new Array<string>(256);
  for (let i = 0; i < 256; i++) {
    if (i < 0x20) table[i] = LOW[i];
    else if (i < 0x7f) table[i] = String.fromCharCode(i);
    else if (i === 0x7f) table[i] = "⌂";
    else table[i] = HIGH[i - 0x80];
  }
  if (LOW.length !== 32 || HIGH.length !== 128) throw new Error("vga: CP437 table has the wrong length");
  return table;
}

/** The same table as UTF-16 code units, for building strings without concatenation. */
const CP437_UNITS = Uint16Array.from(CP437, (c) => c.charCodeAt(0));
const rowUnits = new Uint16Array(256);

/** Decodes one row of character codes (plane 0 bytes, at most 256) into a string, trailing blanks removed. */
export function decodeCp437Row(codes: Uint8Array, length: number): string {
  const n = Math.min(length, rowUnits.length);
  let end = n;
  while (end > 0 && (codes[end - 1] === 0x20 || codes[end - 1] === 0x00 || codes[end - 1] === 0xff)) end--;
  for (let i = 0; i < end; i++) rowUnits[i] = CP437_UNITS[codes[i]];
  return String.fromCharCode.apply(null, rowUnits.subarray(0, end) as unknown as number[]);
}
