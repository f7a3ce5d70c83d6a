// The page's side of one VM's data plane: serial and keyboard input with back-pressure (whatever
// does not fit in a ring waits here, in order, and is retried), serial output transcript, and
// the text screen. Producers here are only ever the page's main thread.

import type { VmChannels } from "../hypervisor/hypervisor-api.ts";
import { keyIndex, keystrokesForChar } from "../hypervisor/key-codes.ts";
import { Ctl, KEY_RECORD_INTS, MOUSE_RECORD_INTS, readTextScreen, St } from "../hypervisor/shared-layout.ts";
import { SpscByteRing, SpscRecordRing } from "../hypervisor/spsc-ring.ts";

const TRANSCRIPT_LIMIT = 256 * 1024;
const encoder = new TextEncoder();
let ioCount = 0;

export class VmIo {
  /** Distinguishes the channels of successive guest workers (a canvas is handed over once). */
  readonly serial = ++ioCount;
  readonly control: Int32Array;
  readonly stats: Float64Array;
  readonly serialOut: SpscByteRing;
  readonly serialIn: SpscByteRing;
  readonly keyboard: SpscRecordRing;
  readonly mouse: SpscRecordRing;
  /** Mouse motion not yet in the ring: coalesced while the buttons stay the same. */
  private pendingMouse: number[] = []; // flat [dx, dy, dz, buttons, ...]
  private readonly mouseRecord = new Int32Array(MOUSE_RECORD_INTS);
  private pendingSerial: number[] = [];
  private pendingKeys: number[] = []; // flat [index, down, ...]
  private readonly record = new Int32Array(KEY_RECORD_INTS);
  /** What the guest sent on COM1, decoded, as pieces: appending to one string would build a rope
   *  of thousands of tiny strings that every garbage collection has to walk. */
  private transcriptPieces: string[] = [];
  private transcriptLength = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });

  constructor(readonly channels: VmChannels) {
    this.control = new Int32Array(channels.control);
    this.stats = new Float64Array(channels.stats);
    this.serialOut = SpscByteRing.attach(channels.serialOut);
    this.serialIn = SpscByteRing.attach(channels.serialIn);
    this.keyboard = SpscRecordRing.attach(channels.keyboard);
    this.mouse = SpscRecordRing.attach(channels.mouse);
    const bell = { words: this.control, index: Ctl.DOORBELL };
    this.mouse.setDoorbell(bell);
    this.serialIn.setDoorbell(bell);
    this.keyboard.setDoorbell(bell);
  }

  sendSerialText(text: string): void {
    for (const b of encoder.encode(text)) this.pendingSerial.push(b);
    this.flush();
  }

  sendKey(code: string, down: boolean): boolean {
    const i = keyIndex(code);
    if (i < 0) return false;
    this.pendingKeys.push(i, down ? 1 : 0);
    this.flush();
    return true;
  }

  /** Relative mouse motion / wheel / button state; motion merges into the last queued record
   *  while the buttons are unchanged, so nothing is lost and the ring is not flooded. */
  sendMouse(dx: number, dy: number, dz: number, buttons: number): void {
    const q = this.pendingMouse;
    const n = q.length;
    if (n >= 4 && q[n - 1] === buttons) {
      q[n - 4] += dx;
      q[n - 3] += dy;
      q[n - 2] += dz;
    } else q.push(dx, dy, dz, buttons);
  }

  /** Presses the keys in order, then releases them in reverse (Ctrl+Alt+Del...). */
  sendCombo(codes: string[]): void {
    for (const c of codes) this.sendKey(c, true);
    for (const c of [...codes].reverse()) this.sendKey(c, false);
  }

  /** Types text as PS/2 keystrokes (US layout); returns characters that have no key. */
  typeAsKeys(text: string): string {
    let skipped = "";
    for (const ch of text) {
      const k = keystrokesForChar(ch);
      if (!k) {
        skipped += ch;
        continue;
      }
      this.sendCombo(k.shift ? ["ShiftLeft", k.code] : [k.code]);
    }
    return skipped;
  }

  /** Moves queued input into the rings as far as they have room (call every frame). */
  flush(): void {
    if (this.pendingMouse.length) this.flushMouse();
    if (this.pendingSerial.length) {
      let n = 0;
      while (n < this.pendingSerial.length && this.serialIn.writeByte(this.pendingSerial[n])) n++;
      if (n) this.pendingSerial.splice(0, n);
    }
    if (this.pendingKeys.length) {
      let n = 0;
      while (n < this.pendingKeys.length) {
        this.record[0] = this.pendingKeys[n];
        this.record[1] = this.pendingKeys[n + 1];
        if (!this.keyboard.push(this.record)) break;
        n += 2;
      }
      if (n) this.pendingKeys.splice(0, n);
    }
  }

  private flushMouse(): void {
    let n = 0;
    const q = this.pendingMouse;
    while (n < q.length) {
      for (let i = 0; i < 4; i++) this.mouseRecord[i] = Math.max(-0x8000, Math.min(0x7fff, Math.round(q[n + i])));
      if (!this.mouse.push(this.mouseRecord)) break;
      n += 4;
    }
    if (n) q.splice(0, n);
  }

  get pendingInput(): number {
    return this.pendingSerial.length + this.pendingKeys.length / 2;
  }

  /** Reads serial output into `buf`; also appends it to the transcript. */
  readSerial(buf: Uint8Array, max: number): number {
    const n = this.serialOut.read(buf, max);
    if (n > 0) {
      const text = this.decoder.decode(buf.subarray(0, n), { stream: true });
      this.transcriptPieces.push(text);
      this.transcriptLength += text.length;
      if (this.transcriptPieces.length > 256 || this.transcriptLength > TRANSCRIPT_LIMIT) this.compactTranscript();
    }
    return n;
  }

  /** Everything the guest sent on COM1, decoded (the last 128-256 KiB; for tests and copy). */
  get transcript(): string {
    if (this.transcriptPieces.length > 1) this.compactTranscript();
    return this.transcriptPieces[0] ?? "";
  }

  /** Joins the pieces into one flat string, dropping the oldest half once over the limit. */
  private compactTranscript(): void {
    let text = this.transcriptPieces.join("");
    if (text.length > TRANSCRIPT_LIMIT) text = text.slice(-TRANSCRIPT_LIMIT / 2);
    this.transcriptPieces = [text];
    this.transcriptLength = text.length;
  }

  screenText(): string[] {
    return readTextScreen(this.channels.text);
  }

  instructions(): number {
    return this.stats[St.INSTRUCTIONS];
  }
}
