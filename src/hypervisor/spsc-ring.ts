// Single-producer / single-consumer rings over SharedArrayBuffer: the data plane between the page,
// the hypervisor and the guest workers (serial bytes, keyboard/mouse records). Head and tail are
// free-running 32-bit counters (only the producer stores head, only the consumer stores tail), so
// neither side ever locks. Bounded: a full ring refuses what does not fit and the producer keeps it
// (back-pressure); nothing is ever dropped or reordered (a network card's frame ring drops what a
// full ring refuses, as a real switch does: its owner counts it).

const HEAD = 0; // next write position (producer)
const TAIL = 1; // next read position (consumer)
const CAPACITY = 2; // element count, a power of two
const MAGIC = 3;
const HEADER_INTS = 4;
const HEADER_BYTES = HEADER_INTS * 4;
const BYTE_RING_MAGIC = 0x48544231; // "HTB1"
const RECORD_RING_MAGIC = 0x48545231; // "HTR1"
const FRAME_RING_MAGIC = 0x48544631; // "HTF1"
const MAX_CAPACITY = 1 << 26;

/** Optional shared word the producer bumps and notifies after each write, so a consumer that
 *  sleeps on one doorbell for several rings (the guest worker) wakes up. */
export interface Doorbell {
  readonly words: Int32Array;
  readonly index: number;
}

export function ringDoorbell(bell: Doorbell): void {
  Atomics.add(bell.words, bell.index, 1);
  Atomics.notify(bell.words, bell.index);
}

function checkCapacity(capacity: number, what: string): void {
  if (!Number.isInteger(capacity) || capacity < 2 || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`${what}: capacity must be a power of two between 2 and ${MAX_CAPACITY}, got ${capacity}`);
  }
}

function attachHeader(buffer: SharedArrayBuffer, magic: number, what: string): Int32Array {
  if (!(buffer instanceof SharedArrayBuffer)) throw new TypeError(`${what}: buffer is not a SharedArrayBuffer`);
  if (buffer.byteLength < HEADER_BYTES) throw new RangeError(`${what}: buffer of ${buffer.byteLength} bytes is too small for a ring`);
  const header = new Int32Array(buffer, 0, HEADER_INTS);
  if (Atomics.load(header, MAGIC) !== magic) throw new TypeError(`${what}: buffer does not hold this kind of ring`);
  return header;
}

/** Shared head/tail bookkeeping for both ring kinds. */
abstract class SpscRingBase {
  protected readonly header: Int32Array;
  readonly capacity: number;
  protected readonly mask: number;
  private doorbell: Doorbell | null = null;

  protected constructor(readonly buffer: SharedArrayBuffer, magic: number, what: string) {
    this.header = attachHeader(buffer, magic, what);
    this.capacity = Atomics.load(this.header, CAPACITY);
    checkCapacity(this.capacity, what);
    this.mask = this.capacity - 1;
  }

  /** The producer side rings this after every successful write. */
  setDoorbell(bell: Doorbell | null): void {
    this.doorbell = bell;
  }

  /** Elements ready to read. */
  available(): number {
    return (Atomics.load(this.header, HEAD) - Atomics.load(this.header, TAIL)) >>> 0;
  }

  /** Room for more elements. */
  free(): number {
    return this.capacity - this.available();
  }

  /** Consumer side: blocks (Atomics.wait: workers only) until data arrives or the timeout passes. */
  waitForData(timeoutMs: number): boolean {
    const head = Atomics.load(this.header, HEAD);
    if (head !== Atomics.load(this.header, TAIL)) return true;
    Atomics.wait(this.header, HEAD, head, timeoutMs);
    return this.available() > 0;
  }

  /** Producer side: blocks (workers only) until there is room or the timeout passes. */
  waitForSpace(timeoutMs: number): boolean {
    const tail = Atomics.load(this.header, TAIL);
    if (((Atomics.load(this.header, HEAD) - tail) >>> 0) < this.capacity) return true;
    Atomics.wait(this.header, TAIL, tail, timeoutMs);
    return this.free() > 0;
  }

  protected publishHead(head: number): void {
    Atomics.store(this.header, HEAD, head | 0);
    Atomics.notify(this.header, HEAD);
    if (this.doorbell) ringDoorbell(this.doorbell);
  }

  protected publishTail(tail: number): void {
    Atomics.store(this.header, TAIL, tail | 0);
    Atomics.notify(this.header, TAIL);
  }

  protected loadHead(): number {
    return Atomics.load(this.header, HEAD) >>> 0;
  }

  protected loadTail(): number {
    return Atomics.load(this.header, TAIL) >>> 0;
  }

  protected static allocate(dataBytes: number, capacity: number, magic: number): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(HEADER_BYTES + dataBytes);
    const header = new Int32Array(buffer, 0, HEADER_INTS);
    header[CAPACITY] = capacity;
    header[MAGIC] = magic;
    return buffer;
  }
}

/** A ring of bytes (serial in/out). */
export class SpscByteRing extends SpscRingBase {
  private readonly data: Uint8Array;

  private constructor(buffer: SharedArrayBuffer) {
    super(buffer, BYTE_RING_MAGIC, "byte ring");
    if (buffer.byteLength !== HEADER_BYTES + this.capacity) throw new RangeError(`byte ring: buffer size ${buffer.byteLength} does not match capacity ${this.capacity}`);
    this.data = new Uint8Array(buffer, HEADER_BYTES, this.capacity);
  }

  static create(capacity: number): SpscByteRing {
    checkCapacity(capacity, "byte ring");
    return new SpscByteRing(SpscRingBase.allocate(capacity, capacity, BYTE_RING_MAGIC));
  }

  /** Views a ring another thread created (validates the buffer). */
  static attach(buffer: SharedArrayBuffer): SpscByteRing {
    return new SpscByteRing(buffer);
  }

  /** Producer: writes as many of src[offset, offset+length) as fit; returns how many were written. */
  write(src: Uint8Array, offset = 0, length = src.length - offset): number {
    const head = this.loadHead();
    const room = this.capacity - ((head - this.loadTail()) >>> 0);
    const n = Math.min(room, length);
    if (n <= 0) return 0;
    const start = head & this.mask;
    const first = Math.min(n, this.capacity - start);
    this.data.set(src.subarray(offset, offset + first), start);
    if (n > first) this.data.set(src.subarray(offset + first, offset + n), 0);
    this.publishHead(head + n);
    return n;
  }

  /** Producer: one byte; false when the ring is full (the caller keeps it). */
  writeByte(value: number): boolean {
    const head = this.loadHead();
    if (((head - this.loadTail()) >>> 0) >= this.capacity) return false;
    this.data[head & this.mask] = value;
    this.publishHead(head + 1);
    return true;
  }

  /** Consumer: copies up to dst.length bytes out; returns how many. */
  read(dst: Uint8Array, max = dst.length): number {
    const tail = this.loadTail();
    const n = Math.min((this.loadHead() - tail) >>> 0, max, dst.length);
    if (n <= 0) return 0;
    const start = tail & this.mask;
    const first = Math.min(n, this.capacity - start);
    dst.set(this.data.subarray(start, start + first), 0);
    if (n > first) dst.set(this.data.subarray(0, n - first), first);
    this.publishTail(tail + n);
    return n;
  }

  /** Consumer: the next byte without taking it, or -1 when empty (for a receiver that may refuse). */
  peek(): number {
    const tail = this.loadTail();
    if (tail === this.loadHead()) return -1;
    return this.data[tail & this.mask];
  }

  /** Consumer: takes the byte last peeked. */
  consume(count = 1): void {
    const tail = this.loadTail();
    const n = Math.min(count, (this.loadHead() - tail) >>> 0);
    if (n > 0) this.publishTail(tail + n);
  }
}

/** A ring of fixed-size records of 32-bit integers (keyboard and mouse events). */
export class SpscRecordRing extends SpscRingBase {
  private readonly data: Int32Array;
  readonly recordInts: number;

  private constructor(buffer: SharedArrayBuffer) {
    super(buffer, RECORD_RING_MAGIC, "record ring");
    this.recordInts = (buffer.byteLength - HEADER_BYTES) / 4 / this.capacity;
    if (!Number.isInteger(this.recordInts) || this.recordInts < 1 || this.recordInts > 64) {
      throw new RangeError(`record ring: buffer size ${buffer.byteLength} does not match capacity ${this.capacity}`);
    }
    this.data = new Int32Array(buffer, HEADER_BYTES, this.capacity * this.recordInts);
  }

  static create(capacity: number, recordInts: number): SpscRecordRing {
    checkCapacity(capacity, "record ring");
    if (!Number.isInteger(recordInts) || recordInts < 1 || recordInts > 64) throw new RangeError(`record ring: record size must be 1-64 ints, got ${recordInts}`);
    return new SpscRecordRing(SpscRingBase.allocate(capacity * recordInts * 4, capacity, RECORD_RING_MAGIC));
  }

  static attach(buffer: SharedArrayBuffer): SpscRecordRing {
    return new SpscRecordRing(buffer);
  }

  /** Producer: appends one record (the first recordInts values of `record`); false when full. */
  push(record: ArrayLike<number>): boolean {
    const head = this.loadHead();
    if (((head - this.loadTail()) >>> 0) >= this.capacity) return false;
    const base = (head & this.mask) * this.recordInts;
    for (let i = 0; i < this.recordInts; i++) this.data[base + i] = record[i] ?? 0;
    this.publishHead(head + 1);
    return true;
  }

  /** Consumer: copies the next record into `into` without taking it; false when empty. */
  peek(into: Int32Array): boolean {
    const tail = this.loadTail();
    if (tail === this.loadHead()) return false;
    const base = (tail & this.mask) * this.recordInts;
    for (let i = 0; i < this.recordInts; i++) into[i] = this.data[base + i];
    return true;
  }

  consume(): void {
    const tail = this.loadTail();
    if (tail !== this.loadHead()) this.publishTail(tail + 1);
  }

  /** Consumer: takes the next record into `into`; false when empty. */
  pop(into: Int32Array): boolean {
    if (!this.peek(into)) return false;
    this.consume();
    return true;
  }
}

/** A ring of variable-length byte records up to a fixed maximum (Ethernet frames between a guest's
 *  NIC and the virtual switch). Each slot is a 32-bit length followed by the bytes. */
export class SpscFrameRing extends SpscRingBase {
  private readonly lengths: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly slotBytes: number;
  /** The longest record a slot holds. */
  readonly maxLength: number;

  private constructor(buffer: SharedArrayBuffer) {
    super(buffer, FRAME_RING_MAGIC, "frame ring");
    this.slotBytes = (buffer.byteLength - HEADER_BYTES) / this.capacity;
    if (!Number.isInteger(this.slotBytes) || this.slotBytes % 4 !== 0 || this.slotBytes < 8 || this.slotBytes > 65540) {
      throw new RangeError(`frame ring: buffer size ${buffer.byteLength} does not match capacity ${this.capacity}`);
    }
    this.maxLength = this.slotBytes - 4;
    this.lengths = new Int32Array(buffer, HEADER_BYTES);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  static create(capacity: number, maxLength: number): SpscFrameRing {
    checkCapacity(capacity, "frame ring");
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 65536) throw new RangeError(`frame ring: record size must be 1-65536 bytes, got ${maxLength}`);
    const slot = 4 + Math.ceil(maxLength / 4) * 4;
    return new SpscFrameRing(SpscRingBase.allocate(capacity * slot, capacity, FRAME_RING_MAGIC));
  }

  static attach(buffer: SharedArrayBuffer): SpscFrameRing {
    return new SpscFrameRing(buffer);
  }

  /** Producer: appends one record; false when the ring is full. Throws for a record over maxLength. */
  push(record: Uint8Array): boolean {
    if (record.length > this.maxLength) throw new RangeError(`frame ring: a record of ${record.length} bytes exceeds the slot size ${this.maxLength}`);
    const head = this.loadHead();
    if (((head - this.loadTail()) >>> 0) >= this.capacity) return false;
    const at = (head & this.mask) * this.slotBytes;
    this.lengths[at >> 2] = record.length;
    this.bytes.set(record, at + 4);
    this.publishHead(head + 1);
    return true;
  }

  /** Consumer: takes the next record (a copy); null when empty. The length word is the other
   *  side's to write, so it is bounded here again. */
  pop(): Uint8Array | null {
    const tail = this.loadTail();
    if (tail === this.loadHead()) return null;
    const at = (tail & this.mask) * this.slotBytes;
    const length = Math.max(0, Math.min(this.maxLength, this.lengths[at >> 2] | 0));
    const record = this.bytes.slice(at + 4, at + 4 + length);
    this.publishTail(tail + 1);
    return record;
  }
}
