// What a key press sends down the serial line, as a VT100/xterm keyboard would: printable
// characters as themselves, Ctrl+letter as control codes, editing and cursor keys as escape sequences.

const NAMED: Record<string, string> = {
  Enter: "\r",
  Backspace: "\x7f",
  Tab: "\t",
  Escape: "\x1b",
  ArrowUp: "\x1b[A",
  ArrowDown: "\x1b[B",
  ArrowRight: "\x1b[C",
  ArrowLeft: "\x1b[D",
  Home: "\x1b[H",
  End: "\x1b[F",
  Insert: "\x1b[2~",
  Delete: "\x1b[3~",
  PageUp: "\x1b[5~",
  PageDown: "\x1b[6~",
};

/** Bytes for a key press, or null when the key sends nothing (modifiers alone, Meta shortcuts). */
export function keyToTerminalInput(e: { key: string; ctrlKey: boolean; altKey: boolean; metaKey: boolean }): string | null {
  if (e.metaKey) return null;
  let out: string | null = NAMED[e.key] ?? null;
  if (out === null && e.key.length === 1) {
    out = e.key;
    if (e.ctrlKey) {
      const c = e.key.toUpperCase().charCodeAt(0);
      if (c >= 0x40 && c <= 0x5f) out = String.fromCharCode(c - 0x40);
      else if (e.key === " ") out = "\x00";
      else if (e.key === "?") out = "\x7f";
      else return null;
    }
  }
  if (out !== null && e.altKey) out = `\x1b${out}`;
  return out;
}
