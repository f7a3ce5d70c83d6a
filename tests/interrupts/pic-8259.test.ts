import { describe, it, expect, beforeEach } from "vitest";
import { Harness } from "../chipset/harness.ts";
import { PicPair } from "../../src/emulator/devices/interrupts/pic-8259.ts";

let h: Harness;
let pic: PicPair;

/** The initialization sequence SeaBIOS and Linux use: edge, cascade, 8086 mode. */
function initPc(masterBase = 0x08, slaveBase = 0x70, icw4 = 0x01): void {
  h.io.out8(0x20, 0x11);
  h.io.out8(0x21, masterBase);
  h.io.out8(0x21, 0x04);
  h.io.out8(0x21, icw4);
  h.io.out8(0xa0, 0x11);
  h.io.out8(0xa1, slaveBase);
  h.io.out8(0xa1, 0x02);
  h.io.out8(0xa1, icw4);
}

function pulse(irq: number): void {
  pic.setIrq(irq, true);
  pic.setIrq(irq, false);
}

const readIrr = (port: number): number => {
  h.io.out8(port, 0x0a);
  return h.io.in8(port);
};
const readIsr = (port: number): number => {
  h.io.out8(port, 0x0b);
  return h.io.in8(port);
};

beforeEach(() => {
  h = new Harness();
  pic = new PicPair(h.ctx);
});

describe("8259A pair", () => {
  it("comes out of power-on with every input masked", () => {
    expect(h.io.in8(0x21)).toBe(0xff);
    expect(h.io.in8(0xa1)).toBe(0xff);
    pulse(1);
    expect(pic.output).toBe(false);
  });

  it("initializes with ICW1-4 and delivers an edge IRQ with the ICW2 vector", () => {
    initPc();
    expect(h.io.in8(0x21)).toBe(0); // ICW1 clears the mask
    const changes: boolean[] = [];
    pic.onOutputChange = (l) => changes.push(l);
    pulse(1);
    expect(pic.output).toBe(true);
    expect(changes).toEqual([true]);
    expect(readIrr(0x20)).toBe(0x02);
    expect(pic.acknowledge()).toBe(0x09);
    expect(pic.output).toBe(false);
    expect(readIrr(0x20)).toBe(0);
    expect(readIsr(0x20)).toBe(0x02);
    h.io.out8(0x20, 0x20); // non-specific EOI
    expect(readIsr(0x20)).toBe(0);
  });

  it("keeps an edge latched after the line drops and merges repeated edges", () => {
    initPc();
    pulse(4);
    pulse(4);
    expect(pic.acknowledge()).toBe(0x0c);
    expect(pic.output).toBe(false);
    h.io.out8(0x20, 0x20);
    expect(pic.output).toBe(false);
  });

  it("needs a new rising edge for an edge input held high", () => {
    initPc();
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(0x0b);
    h.io.out8(0x20, 0x20);
    expect(pic.output).toBe(false); // still high, but no new edge
    pic.setIrq(3, true); // no transition
    expect(pic.output).toBe(false);
    pic.setIrq(3, false);
    pic.setIrq(3, true);
    expect(pic.output).toBe(true);
  });

  it("honours the fully nested priority order", () => {
    initPc();
    pulse(3);
    expect(pic.acknowledge()).toBe(0x0b);
    pulse(5); // lower priority than 3: held
    expect(pic.output).toBe(false);
    pulse(1); // higher: nests
    expect(pic.output).toBe(true);
    expect(pic.acknowledge()).toBe(0x09);
    expect(readIsr(0x20)).toBe(0x0a);
    h.io.out8(0x20, 0x20); // EOI clears the highest (1)
    expect(readIsr(0x20)).toBe(0x08);
    expect(pic.output).toBe(false);
    h.io.out8(0x20, 0x20); // EOI for 3
    expect(pic.output).toBe(true);
    expect(pic.acknowledge()).toBe(0x0d);
  });

  it("picks the highest priority among simultaneous requests", () => {
    initPc();
    pulse(6);
    pulse(2 + 7); // IRQ9 via cascade (master level 2)
    pulse(4);
    expect(pic.acknowledge()).toBe(0x71); // IRQ9 on the slave, via master IR2 (higher than 4 and 6)
    expect(readIsr(0x20)).toBe(0x04);
    expect(readIsr(0xa0)).toBe(0x02);
  });

  it("cascades the slave through master IR2", () => {
    initPc();
    pulse(12);
    expect(readIrr(0x20)).toBe(0x04);
    expect(pic.output).toBe(true);
    expect(pic.acknowledge()).toBe(0x74);
    expect(readIsr(0x20)).toBe(0x04);
    expect(readIsr(0xa0)).toBe(0x10);
    expect(pic.output).toBe(false);
    // A second slave request of lower priority waits for the slave EOI.
    pulse(14);
    expect(pic.output).toBe(false);
    h.io.out8(0xa0, 0x20);
    h.io.out8(0x20, 0x20);
    expect(pic.output).toBe(true);
    expect(pic.acknowledge()).toBe(0x76);
  });

  it("maps ISA IRQ 2 to IRQ 9 as the AT bus does", () => {
    initPc();
    pulse(2);
    expect(pic.acknowledge()).toBe(0x71);
  });

  it("follows level-triggered lines selected in the ELCR", () => {
    initPc();
    h.io.out8(0x4d1, 0xff);
    expect(h.io.in8(0x4d1)).toBe(0xde); // IRQ 8 and 13 cannot be level
    h.io.out8(0x4d0, 0xff);
    expect(h.io.in8(0x4d0)).toBe(0xf8); // IRQ 0, 1, 2 cannot be level
    h.io.out8(0x4d0, 0x00);
    h.io.out8(0x4d1, 0x0c); // IRQ 10, 11 level
    pic.setIrq(11, true);
    expect(pic.acknowledge()).toBe(0x73);
    h.io.out8(0xa0, 0x20);
    h.io.out8(0x20, 0x20);
    // Still asserted: requested again after EOI.
    expect(pic.output).toBe(true);
    // Deasserted before acknowledge: the request vanishes, no spurious interrupt.
    pic.setIrq(11, false);
    expect(pic.output).toBe(false);
    expect(readIrr(0xa0)).toBe(0);
    expect(readIrr(0x20)).toBe(0);
    expect(pic.counters.spuriousMaster + pic.counters.spuriousSlave).toBe(0);
  });

  it("answers an INTA with nothing pending with IRQ7 (master) or IRQ15 (slave), setting no ISR bit", () => {
    initPc();
    expect(pic.acknowledge()).toBe(0x0f);
    expect(readIsr(0x20)).toBe(0);
    expect(pic.counters.spuriousMaster).toBe(1);
    // Master sees the cascade request but the slave has nothing: slave spurious vector, master ISR2 set.
    pic.master.setCascadeInput(2, true);
    expect(pic.acknowledge()).toBe(0x77);
    expect(readIsr(0xa0)).toBe(0);
    expect(readIsr(0x20)).toBe(0x04);
    expect(pic.counters.spuriousSlave).toBe(1);
  });

  it("masks with OCW1 and delivers when unmasked", () => {
    initPc();
    h.io.out8(0x21, 0xfd);
    pulse(0);
    expect(pic.output).toBe(false);
    expect(readIrr(0x20)).toBe(0x01);
    h.io.out8(0x21, 0x00);
    expect(pic.output).toBe(true);
    expect(pic.acknowledge()).toBe(0x08);
  });

  it("reads the mask from the odd port and IRR/ISR per OCW3", () => {
    initPc();
    h.io.out8(0x21, 0xb8);
    expect(h.io.in8(0x21)).toBe(0xb8);
    h.io.out8(0x21, 0);
    pulse(5);
    expect(readIrr(0x20)).toBe(0x20);
    expect(readIsr(0x20)).toBe(0x00);
    // The last selection sticks for plain reads.
    expect(h.io.in8(0x20)).toBe(0x00);
    h.io.out8(0x20, 0x0a);
    expect(h.io.in8(0x20)).toBe(0x20);
  });

  it("poll mode reads the highest request and acknowledges it", () => {
    initPc();
    h.io.out8(0x21, 0xff); // polling works with interrupts masked at the CPU; mask does apply
    h.io.out8(0x21, 0x00);
    pulse(6);
    pulse(3);
    h.io.out8(0x20, 0x0c);
    expect(h.io.in8(0x20)).toBe(0x83);
    expect(readIsr(0x20)).toBe(0x08);
    h.io.out8(0x20, 0x0c);
    expect(h.io.in8(0x20)).toBe(0x00); // 6 is blocked by 3 in service
    h.io.out8(0x20, 0x20);
    h.io.out8(0x20, 0x0c);
    expect(h.io.in8(0x20)).toBe(0x86);
  });

  it("automatic EOI leaves no ISR bit", () => {
    initPc(0x08, 0x70, 0x03);
    pulse(1);
    expect(pic.acknowledge()).toBe(0x09);
    expect(readIsr(0x20)).toBe(0);
    pulse(4);
    expect(pic.output).toBe(true);
  });

  it("rotates priorities on non-specific EOI and with set-priority", () => {
    initPc();
    pulse(1);
    expect(pic.acknowledge()).toBe(0x09);
    h.io.out8(0x20, 0xa0); // rotate on non-specific EOI: IRQ1 becomes lowest, IRQ2 highest
    expect(pic.master.lowestPriority).toBe(1);
    pulse(0);
    pulse(3);
    expect(pic.acknowledge()).toBe(0x0b); // 3 outranks 0 now
    h.io.out8(0x20, 0x20);
    h.io.out8(0x20, 0xc0 | 5); // set priority: IRQ5 lowest, IRQ6 highest
    pulse(7);
    expect(pic.acknowledge()).toBe(0x0f); // 7 outranks 0
    h.io.out8(0x20, 0x60 | 7); // specific EOI
    expect(readIsr(0x20)).toBe(0);
    expect(pic.acknowledge()).toBe(0x08);
  });

  it("rotates on specific EOI and in automatic EOI mode", () => {
    initPc();
    pulse(4);
    pic.acknowledge();
    h.io.out8(0x20, 0xe0 | 4); // rotate on specific EOI 4
    expect(readIsr(0x20)).toBe(0);
    expect(pic.master.lowestPriority).toBe(4);
    initPc(0x08, 0x70, 0x03);
    h.io.out8(0x20, 0x80); // set rotate in AEOI
    pulse(2 + 0); // IRQ2 -> IRQ9
    pulse(3);
    expect(pic.acknowledge()).toBe(0x71);
    expect(pic.master.lowestPriority).toBe(2);
    h.io.out8(0x20, 0x00); // clear rotate in AEOI
    expect(pic.acknowledge()).toBe(0x0b);
    expect(pic.master.lowestPriority).toBe(2);
  });

  it("special mask mode lets lower priorities in while a masked level is in service", () => {
    initPc();
    pulse(3);
    expect(pic.acknowledge()).toBe(0x0b);
    pulse(5);
    expect(pic.output).toBe(false);
    h.io.out8(0x21, 0x08); // mask IRQ3
    h.io.out8(0x20, 0x68); // ESMM + SMM
    expect(pic.output).toBe(true);
    expect(pic.acknowledge()).toBe(0x0d);
    h.io.out8(0x20, 0x48); // ESMM, SMM off
    h.io.out8(0x20, 0x65); // specific EOI 5
    h.io.out8(0x20, 0x63); // specific EOI 3
    expect(readIsr(0x20)).toBe(0);
  });

  it("special fully nested mode passes a higher slave request while the cascade is in service", () => {
    h.io.out8(0x20, 0x11);
    h.io.out8(0x21, 0x08);
    h.io.out8(0x21, 0x04);
    h.io.out8(0x21, 0x11); // SFNM
    h.io.out8(0xa0, 0x11);
    h.io.out8(0xa1, 0x70);
    h.io.out8(0xa1, 0x02);
    h.io.out8(0xa1, 0x01);
    pulse(12);
    expect(pic.acknowledge()).toBe(0x74);
    pulse(9); // higher priority on the slave
    expect(pic.output).toBe(true);
    expect(pic.acknowledge()).toBe(0x71);
    pulse(13); // lower than 12: the slave holds it
    expect(pic.output).toBe(false);
  });

  it("ICW1 clears the mask, in-service bits and latched edges", () => {
    initPc();
    pulse(3);
    pic.acknowledge();
    pulse(5);
    h.io.out8(0x21, 0x55);
    initPc();
    expect(h.io.in8(0x21)).toBe(0);
    expect(readIsr(0x20)).toBe(0);
    expect(readIrr(0x20)).toBe(0);
    expect(pic.output).toBe(false);
  });

  it("skips ICW3 in single mode and ICW4 when not requested", () => {
    h.io.out8(0x20, 0x12); // single, no ICW4
    h.io.out8(0x21, 0x20);
    h.io.out8(0x21, 0xfe); // this is already OCW1
    expect(h.io.in8(0x21)).toBe(0xfe);
    pulse(0);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it("saves and restores its state exactly", () => {
    initPc(0x20, 0x28);
    h.io.out8(0x4d1, 0x08);
    pulse(3);
    pulse(12);
    pic.acknowledge();
    pic.setIrq(11, true);
    const saved = pic.saveState();
    const h2 = new Harness();
    const pic2 = new PicPair(h2.ctx);
    pic2.loadState(structuredClone(saved));
    expect(pic2.saveState()).toEqual(saved);
    expect(pic2.output).toBe(pic.output);
    expect(pic2.acknowledge()).toBe(pic.acknowledge());
    expect(() => pic2.loadState({ type: "pic-8259", version: 1, fields: { ...saved.fields, master: 3 } })).toThrow(/master/);
  });
});
