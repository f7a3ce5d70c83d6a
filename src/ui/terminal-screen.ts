// The serial console's screen model: a small VT100/ANSI subset (what the Linux console, busybox's
// line editing and DOS programs send on a serial line) over a fixed grid plus a bounded scrollback.
// Pure data, no DOM: the page feeds bytes and renders the rows that changed. Replaces xterm.js,
// whose construction alone took tens of ms of main-thread time (a long task per console mount).

const ESC = 0x1b;

export interface TerminalReply {
  /** Bytes the terminal answers with (e.g. a cursor position report), to send to the guest. */
  (text: string): void;
}

type ParseState = "ground" | "esc" | "csi" | "osc" | "charset";

export class TerminalScreen {
  /** Visible rows, each exactly `cols` characters. */
  readonly rows: string[][];
  /** Lines scrolled off the top, oldest first (bounded). */
  readonly scrollback: string[] = [];
  cursorX = 0;
  cursorY = 0;
  cursorVisible = true;
  /** Bumped on every change; the renderer redraws when it differs from what it drew. */
  version = 0;
  /** Rows changed since the renderer last cleared this set. */
  readonly dirty = new Set<number>();
  /** Bumped when lines enter the scrollback. */
  scrollbackVersion = 0;

  private state: ParseState = "ground";
  private params = "";
  private savedX = 0;
  private savedY = 0;
  private top = 0;
  private bottom: number;
  /** Pending wrap: the cursor sits past the last column until the next printable character. */
  private wrapPending = false;
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });

  constructor(
    readonly cols = 80,
    readonly height = 25,
    private readonly scrollbackLimit = 1000,
    private readonly reply: TerminalReply = () => {},
  ) {
    this.rows = Array.from({ length: height }, () => this.blankRow());
    this.bottom = height - 1;
  }

  /** Feeds guest output (UTF-8 bytes). */
  writeBytes(bytes: Uint8Array): void {
    this.write(this.decoder.decode(bytes, { stream: true }));
  }

  /** Feeds decoded text. */
  write(text: string): void {
    for (let i = 0; i < text.length; i++) this.feed(text.charCodeAt(i), text[i]);
    this.version++;
  }

  /** The visible screen as text lines (trailing blanks trimmed). */
  lines(): string[] {
    return this.rows.map((r) => r.join("").trimEnd());
  }

  private blankRow(): string[] {
    return new Array<string>(this.cols).fill(" ");
  }

  private touch(y: number): void {
    this.dirty.add(y);
  }

  private feed(code: number, ch: string): void {
    switch (this.state) {
      case "ground":
        if (code === ESC) this.state = "esc";
        else if (code < 0x20 || code === 0x7f) this.control(code);
        else this.print(ch);
        return;
      case "esc":
        this.state = "ground";
        if (ch === "[") {
          this.state = "csi";
          this.params = "";
        } else if (ch === "]") this.state = "osc";
        else if (ch === "(" || ch === ")" || ch === "*" || ch === "+") this.state = "charset";
        else if (ch === "7") this.saveCursor();
        else if (ch === "8") this.restoreCursor();
        else if (ch === "D") this.lineFeed();
        else if (ch === "E") {
          this.cursorX = 0;
          this.lineFeed();
        } else if (ch === "M") this.reverseIndex();
        else if (ch === "c") this.resetAll();
        return;
      case "charset":
        this.state = "ground"; // designate G0/G1: only ASCII is drawn
        return;
      case "osc":
        // Operating system command (window title...): skipped up to BEL or ESC \.
        if (code === 0x07) this.state = "ground";
        else if (code === ESC) this.state = "esc";
        return;
      case "csi":
        if ((code >= 0x30 && code <= 0x3f) || code === 0x20) {
          if (this.params.length < 64) this.params += ch;
        } else if (code >= 0x40 && code <= 0x7e) {
          this.state = "ground";
          this.csi(ch, this.params);
        } else if (code === 0x18 || code === 0x1a) this.state = "ground"; // CAN/SUB abort
        else if (code < 0x20) this.control(code); // controls act even inside a sequence
        return;
    }
  }

  private control(code: number): void {
    switch (code) {
      case 0x0d:
        this.cursorX = 0;
        this.wrapPending = false;
        return;
      case 0x0a:
      case 0x0b:
      case 0x0c:
        this.lineFeed();
        return;
      case 0x08:
        if (this.cursorX > 0) this.cursorX--;
        this.wrapPending = false;
        return;
      case 0x09:
        this.cursorX = Math.min(this.cols - 1, (Math.floor(this.cursorX / 8) + 1) * 8);
        return;
      default:
        return; // BEL, NUL, SO/SI, DEL...: nothing to draw
    }
  }

  private print(ch: string): void {
    if (this.wrapPending) {
      this.wrapPending = false;
      this.cursorX = 0;
      this.lineFeed();
    }
    this.rows[this.cursorY][this.cursorX] = ch;
    this.touch(this.cursorY);
    if (this.cursorX === this.cols - 1) this.wrapPending = true;
    else this.cursorX++;
  }

  private lineFeed(): void {
    this.wrapPending = false;
    if (this.cursorY === this.bottom) this.scrollUp(1);
    else if (this.cursorY < this.height - 1) this.cursorY++;
  }

  private reverseIndex(): void {
    if (this.cursorY === this.top) this.scrollDown(1);
    else if (this.cursorY > 0) this.cursorY--;
  }

  /** Scrolls the scroll region up; lines leaving the full screen's top go to the scrollback. */
  private scrollUp(n: number): void {
    for (let i = 0; i < n; i++) {
      const [gone] = this.rows.splice(this.top, 1);
      if (this.top === 0) {
        this.scrollback.push(gone.join("").trimEnd());
        if (this.scrollback.length > this.scrollbackLimit) this.scrollback.splice(0, this.scrollback.length - this.scrollbackLimit);
        this.scrollbackVersion++;
      }
      this.rows.splice(this.bottom, 0, this.blankRow());
    }
    for (let y = this.top; y <= this.bottom; y++) this.touch(y);
  }

  private scrollDown(n: number): void {
    for (let i = 0; i < n; i++) {
      this.rows.splice(this.bottom, 1);
      this.rows.splice(this.top, 0, this.blankRow());
    }
    for (let y = this.top; y <= this.bottom; y++) this.touch(y);
  }

  private saveCursor(): void {
    this.savedX = this.cursorX;
    this.savedY = this.cursorY;
  }

  private restoreCursor(): void {
    this.cursorX = this.savedX;
    this.cursorY = this.savedY;
    this.wrapPending = false;
  }

  private resetAll(): void {
    for (let y = 0; y < this.height; y++) {
      this.rows[y] = this.blankRow();
      this.touch(y);
    }
    this.cursorX = this.cursorY = 0;
    this.top = 0;
    this.bottom = this.height - 1;
    this.cursorVisible = true;
    this.wrapPending = false;
  }

  private erase(y: number, from: number, to: number): void {
    const row = this.rows[y];
    for (let x = Math.max(0, from); x < Math.min(this.cols, to); x++) row[x] = " ";
    this.touch(y);
  }

  private csi(final: string, raw: string): void {
    const priv = raw.startsWith("?");
    const nums = (priv ? raw.slice(1) : raw).split(";").map((p) => (p === "" ? NaN : Number.parseInt(p, 10)));
    const n = (i: number, fallback: number) => (Number.isFinite(nums[i]) && nums[i] > 0 ? nums[i] : fallback);
    const clampX = (x: number) => Math.max(0, Math.min(this.cols - 1, x));
    const clampY = (y: number) => Math.max(0, Math.min(this.height - 1, y));
    this.wrapPending = false;
    switch (final) {
      case "A":
        this.cursorY = clampY(this.cursorY - n(0, 1));
        return;
      case "B":
      case "e":
        this.cursorY = clampY(this.cursorY + n(0, 1));
        return;
      case "C":
      case "a":
        this.cursorX = clampX(this.cursorX + n(0, 1));
        return;
      case "D":
        this.cursorX = clampX(this.cursorX - n(0, 1));
        return;
      case "E":
        this.cursorX = 0;
        this.cursorY = clampY(this.cursorY + n(0, 1));
        return;
      case "F":
        this.cursorX = 0;
        this.cursorY = clampY(this.cursorY - n(0, 1));
        return;
      case "G":
      case "`":
        this.cursorX = clampX(n(0, 1) - 1);
        return;
      case "d":
        this.cursorY = clampY(n(0, 1) - 1);
        return;
      case "H":
      case "f":
        this.cursorY = clampY(n(0, 1) - 1);
        this.cursorX = clampX(n(1, 1) - 1);
        return;
      case "J": {
        const mode = Number.isFinite(nums[0]) ? nums[0] : 0;
        if (mode === 0) {
          this.erase(this.cursorY, this.cursorX, this.cols);
          for (let y = this.cursorY + 1; y < this.height; y++) this.erase(y, 0, this.cols);
        } else if (mode === 1) {
          for (let y = 0; y < this.cursorY; y++) this.erase(y, 0, this.cols);
          this.erase(this.cursorY, 0, this.cursorX + 1);
        } else for (let y = 0; y < this.height; y++) this.erase(y, 0, this.cols);
        return;
      }
      case "K": {
        const mode = Number.isFinite(nums[0]) ? nums[0] : 0;
        if (mode === 0) this.erase(this.cursorY, this.cursorX, this.cols);
        else if (mode === 1) this.erase(this.cursorY, 0, this.cursorX + 1);
        else this.erase(this.cursorY, 0, this.cols);
        return;
      }
      case "X":
        this.erase(this.cursorY, this.cursorX, this.cursorX + n(0, 1));
        return;
      case "P": {
        const row = this.rows[this.cursorY];
        const k = Math.min(n(0, 1), this.cols - this.cursorX);
        row.splice(this.cursorX, k);
        for (let i = 0; i < k; i++) row.push(" ");
        this.touch(this.cursorY);
        return;
      }
      case "@": {
        const row = this.rows[this.cursorY];
        const k = Math.min(n(0, 1), this.cols - this.cursorX);
        row.splice(this.cursorX, 0, ...new Array<string>(k).fill(" "));
        row.length = this.cols;
        this.touch(this.cursorY);
        return;
      }
      case "L":
      case "M": {
        if (this.cursorY < this.top || this.cursorY > this.bottom) return;
        const saved = this.top;
        this.top = this.cursorY;
        if (final === "L") this.scrollDown(Math.min(n(0, 1), this.bottom - this.top + 1));
        else this.scrollUp(Math.min(n(0, 1), this.bottom - this.top + 1));
        this.top = saved;
        return;
      }
      case "S":
        this.scrollUp(n(0, 1));
        return;
      case "T":
        this.scrollDown(n(0, 1));
        return;
      case "r": {
        const t = n(0, 1) - 1;
        const b = n(1, this.height) - 1;
        if (t < b && b < this.height) {
          this.top = t;
          this.bottom = b;
          this.cursorX = 0;
          this.cursorY = 0;
        }
        return;
      }
      case "s":
        this.saveCursor();
        return;
      case "u":
        this.restoreCursor();
        return;
      case "h":
      case "l":
        if (priv && nums.includes(25)) this.cursorVisible = final === "h";
        return;
      case "n":
        if (!priv && nums[0] === 6) this.reply(`\x1b[${this.cursorY + 1};${this.cursorX + 1}R`);
        else if (!priv && nums[0] === 5) this.reply("\x1b[0n");
        return;
      case "c":
        if (!priv && !(nums[0] > 0)) this.reply("\x1b[?1;2c"); // a VT100 with advanced video
        return;
      default:
        return; // SGR (m) and the rest: no colours or modes in this console
    }
  }
}
