// A bounded FIFO of frames (a switch port's ingress queue): bounded in frames and in bytes, so a
// port that sends faster than the switch forwards loses its own frames (counted by the caller)
// instead of growing memory.

export class FrameQueue {
  private items: Uint8Array[] = [];
  private head = 0;
  private bytesHeld = 0;

  constructor(
    readonly maxFrames: number,
    readonly maxBytes: number,
  ) {
    if (!Number.isInteger(maxFrames) || maxFrames < 1) throw new RangeError(`frame queue: maxFrames must be a positive integer, got ${maxFrames}`);
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`frame queue: maxBytes must be a positive integer, got ${maxBytes}`);
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  /** False (and nothing kept) when the frame does not fit. */
  push(frame: Uint8Array): boolean {
    if (this.length >= this.maxFrames || this.bytesHeld + frame.length > this.maxBytes) return false;
    this.items.push(frame);
    this.bytesHeld += frame.length;
    return true;
  }

  peek(): Uint8Array | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): Uint8Array | undefined {
    if (this.head >= this.items.length) return undefined;
    const f = this.items[this.head]!;
    this.items[this.head++] = EMPTY;
    this.bytesHeld -= f.length;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 256 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return f;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytesHeld = 0;
  }
}

const EMPTY = new Uint8Array(0);
