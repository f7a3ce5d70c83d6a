// KeyboardEvent.code names travel through the keyboard ring as small integers: their index here.
// The list covers a 104/105-key PC keyboard (what the PS/2 controller can express).

export const KEY_CODES: readonly string[] = [
  "Escape", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12",
  "Backquote", "Digit1", "Digit2", "Digit3", "Digit4", "Digit5", "Digit6", "Digit7", "Digit8", "Digit9", "Digit0",
  "Minus", "Equal", "Backspace", "Tab",
  "KeyQ", "KeyW", "KeyE", "KeyR", "KeyT", "KeyY", "KeyU", "KeyI", "KeyO", "KeyP", "BracketLeft", "BracketRight", "Backslash",
  "CapsLock", "KeyA", "KeyS", "KeyD", "KeyF", "KeyG", "KeyH", "KeyJ", "KeyK", "KeyL", "Semicolon", "Quote", "Enter",
  "ShiftLeft", "IntlBackslash", "KeyZ", "KeyX", "KeyC", "KeyV", "KeyB", "KeyN", "KeyM", "Comma", "Period", "Slash", "ShiftRight",
  "ControlLeft", "MetaLeft", "AltLeft", "Space", "AltRight", "MetaRight", "ContextMenu", "ControlRight",
  "PrintScreen", "ScrollLock", "Pause", "Insert", "Home", "PageUp", "Delete", "End", "PageDown",
  "ArrowUp", "ArrowLeft", "ArrowDown", "ArrowRight",
  "NumLock", "NumpadDivide", "NumpadMultiply", "NumpadSubtract", "Numpad7", "Numpad8", "Numpad9", "NumpadAdd",
  "Numpad4", "Numpad5", "Numpad6", "Numpad1", "Numpad2", "Numpad3", "NumpadEnter", "Numpad0", "NumpadDecimal",
  "IntlRo", "IntlYen",
];

const indexByCode = new Map(KEY_CODES.map((c, i) => [c, i]));

/** Index of a KeyboardEvent.code, or -1 for keys a PC keyboard does not have. */
export function keyIndex(code: string): number {
  return indexByCode.get(code) ?? -1;
}

export function keyCodeAt(index: number): string | null {
  return Number.isInteger(index) && index >= 0 && index < KEY_CODES.length ? KEY_CODES[index] : null;
}

/** US layout: the key presses that type one character (for paste-as-keystrokes). */
export function keystrokesForChar(ch: string): { code: string; shift: boolean } | null {
  if (ch === "\n" || ch === "\r") return { code: "Enter", shift: false };
  if (ch === "\t") return { code: "Tab", shift: false };
  if (ch === " ") return { code: "Space", shift: false };
  if (ch >= "a" && ch <= "z") return { code: `Key${ch.toUpperCase()}`, shift: false };
  if (ch >= "A" && ch <= "Z") return { code: `Key${ch}`, shift: true };
  if (ch >= "0" && ch <= "9") return { code: `Digit${ch}`, shift: false };
  const plain = "`-=[]\\;',./";
  const plainCodes = ["Backquote", "Minus", "Equal", "BracketLeft", "BracketRight", "Backslash", "Semicolon", "Quote", "Comma", "Period", "Slash"];
  const shifted = "~_+{}|:\"<>?";
  const digitsShifted = ")!@#$%^&*(";
  let i = plain.indexOf(ch);
  if (i >= 0) return { code: plainCodes[i], shift: false };
  i = shifted.indexOf(ch);
  if (i >= 0) return { code: plainCodes[i], shift: true };
  i = digitsShifted.indexOf(ch);
  if (i >= 0) return { code: `Digit${i}`, shift: true };
  return null;
}
