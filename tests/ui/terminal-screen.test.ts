// The serial console's screen model and keyboard mapping (src/ui/terminal-screen.ts,
// terminal-keys.ts): what a Linux/busybox serial session sends must land where a VT100 puts it.

import { describe, expect, it } from "vitest";
import { keyToTerminalInput } from "../../src/ui/terminal-keys.ts";
import { TerminalScreen } from "../../src/ui/terminal-screen.ts";

describe("TerminalScreen", () => {
  it("prints lines, scrolls into a bounded scrollback and wraps at the last column", () => {
    const t = new TerminalScreen(10, 3, 2);
    t.write("one\r\ntwo\r\nthree\r\nfour\r\nfive");
    expect(t.lines()).toEqual(["three", "four", "five"]);
    expect(t.scrollback).toEqual(["one", "two"].slice(-2));
    t.write("\r\nabcdefghijKL");
    expect(t.lines()).toEqual(["five", "abcdefghij", "KL"]);
    expect(t.scrollback).toEqual(["three", "four"]);
    expect([t.cursorX, t.cursorY]).toEqual([2, 2]);
  });

  it("handles backspace, tab, cursor moves, erases and line editing sequences", () => {
    const t = new TerminalScreen(20, 4);
    t.write("/ # echo hellp\bo\r\n");
    expect(t.lines()[0]).toBe("/ # echo hello");
    t.write("a\tb");
    expect(t.lines()[1]).toBe("a       b");
    t.write("\x1b[2;3H\x1b[K");
    expect(t.lines()[1]).toBe("a");
    t.write("\x1b[1;5H\x1b[3P");
    expect(t.lines()[0]).toBe("/ # o hello");
    t.write("\x1b[2@");
    expect(t.lines()[0]).toBe("/ #   o hello");
    t.write("\x1b[2J\x1b[H");
    expect(t.lines()).toEqual(["", "", "", ""]);
    expect([t.cursorX, t.cursorY]).toEqual([0, 0]);
  });

  it("ignores colours, titles and charset switches, and answers status queries", () => {
    const replies: string[] = [];
    const t = new TerminalScreen(20, 3, 10, (r) => replies.push(r));
    t.write("\x1b[1;32mOK\x1b[0m \x1b]0;title\x07\x1b(Bdone\x1b[?25l");
    expect(t.lines()[0]).toBe("OK done");
    expect(t.cursorVisible).toBe(false);
    t.write("\x1b[2;4H\x1b[6n\x1b[5n");
    expect(replies).toEqual(["\x1b[2;4R", "\x1b[0n"]);
  });

  it("decodes UTF-8 split across writes and marks only touched rows dirty", () => {
    const t = new TerminalScreen(10, 3);
    t.dirty.clear();
    const bytes = new TextEncoder().encode("é€");
    t.writeBytes(bytes.subarray(0, 1));
    t.writeBytes(bytes.subarray(1));
    expect(t.lines()[0]).toBe("é€");
    expect([...t.dirty]).toEqual([0]);
  });

  it("keeps a scroll region: lines scrolled inside it do not enter the scrollback", () => {
    const t = new TerminalScreen(10, 4);
    t.write("top\x1b[2;4r\x1b[4;1Ha\r\nb\r\nc");
    expect(t.lines()).toEqual(["top", "a", "b", "c"]);
    t.write("\r\nd");
    expect(t.lines()).toEqual(["top", "b", "c", "d"]);
    expect(t.scrollback).toEqual([]);
  });
});

describe("keyToTerminalInput", () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; altKey: boolean; metaKey: boolean }> = {}) =>
    keyToTerminalInput({ key: k, ctrlKey: false, altKey: false, metaKey: false, ...mods });
  it("maps printable keys, Enter, Backspace, arrows and Ctrl/Alt combinations", () => {
    expect(key("e")).toBe("e");
    expect(key("Enter")).toBe("\r");
    expect(key("Backspace")).toBe("\x7f");
    expect(key("ArrowUp")).toBe("\x1b[A");
    expect(key("c", { ctrlKey: true })).toBe("\x03");
    expect(key("x", { altKey: true })).toBe("\x1bx");
    expect(key("Shift")).toBeNull();
    expect(key("v", { metaKey: true })).toBeNull();
  });
});
