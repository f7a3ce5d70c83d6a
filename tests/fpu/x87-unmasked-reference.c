// Generates tests/fpu/x87-unmasked-reference.txt: x87 state after operations with exceptions
// unmasked, observed with FNSAVE (non-waiting, so no #MF is taken), for x87-unmasked.test.ts.
// gcc -O1 -o /tmp/x87um tests/fpu/x87-unmasked-reference.c && /tmp/x87um > tests/fpu/x87-unmasked-reference.txt
// Line format: op cw a_se a_sig b_se b_sig | fnsave image (108 bytes hex; pointer fields and empty
// registers zeroed) mem (8 bytes hex, 5a… when not written)
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct __attribute__((packed)) { uint64_t m; uint16_t se; } f80;
static uint64_t s = 0x1234567887654321ull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }

static f80 gen(void) {
  f80 v; uint32_t c = rnd() % 100; v.m = rnd() | (1ull << 63); int e; int sign = (rnd() & 1) << 15;
  if (c < 30) e = 16383 + (int)(rnd() % 40) - 20;
  else if (c < 42) e = 0x7ffe - (int)(rnd() % 3);
  else if (c < 54) e = 1 + (int)(rnd() % 3);
  else if (c < 62) { e = 0; v.m >>= 1 + rnd() % 8; }
  else if (c < 68) { e = 0; v.m = 0; }
  else if (c < 72) { e = 0x7fff; v.m = 1ull << 63; }
  else if (c < 78) { e = 0x7fff; v.m &= ~(1ull << 62); if ((v.m << 1) == 0) v.m |= 1; }
  else if (c < 82) { e = 0x7fff; v.m |= 1ull << 62; }
  else if (c < 86) { e = 16383; v.m &= ~(1ull << 63); }
  else if (c < 93) e = 16383 + 127 + (int)(rnd() % 3) - 1 + ((rnd() & 1) ? 0 : -253);
  else e = 16383 + 1023 + (int)(rnd() % 3) - 1 + ((rnd() & 1) ? 0 : -2045);
  v.se = (uint16_t)(sign | e); return v;
}

static uint8_t img[108]; static uint64_t mem;
#define PRE "fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n"
#define OPS(n, ins) case n: __asm__ volatile(PRE ins "\n fnsave %[img]\n" : [img] "=m"(img), [mem] "+m"(mem) : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw), [m32] "m"(*(uint32_t *)&a->m), [m64] "m"(a->m)); break;

static void run(int op, uint16_t cw, f80 *a, f80 *b) {
  switch (op) {
    OPS(0, "fadd %%st(1), %%st")
    OPS(1, "fsub %%st(1), %%st")
    OPS(2, "fmul %%st(1), %%st")
    OPS(3, "fdiv %%st(1), %%st")
    OPS(4, "fsqrt")
    OPS(5, "fsts %[mem]")
    OPS(6, "fstpl %[mem]")
    OPS(7, "fistpl %[mem]")
    OPS(8, "fistps %[mem]")
    OPS(9, "fstp %%st(0)\n flds %[m32]")
    OPS(10, "fstp %%st(0)\n fldl %[m64]")
    OPS(11, "fscale")
    OPS(12, "fprem")
    OPS(13, "frndint")
    OPS(14, "fxtract")
    OPS(15, "fcomp %%st(1)")
    OPS(16, "fbstp %[mem]")
    OPS(17, "faddp %%st, %%st(1)")
    OPS(18, "fld %%st(5)")
    OPS(19, "fld1\n fld1\n fld1\n fld1\n fld1\n fld1\n fld1")
  }
}

int main(void) {
  static const uint16_t cws[] = {0x037e, 0x037d, 0x037b, 0x0377, 0x036f, 0x035f, 0x0340, 0x0240, 0x0f40, 0x0c7f, 0x037f};
  for (int op = 0; op < 20; op++)
    for (int ci = 0; ci < 11; ci++)
      for (int k = 0; k < 12; k++) {
        f80 a = gen(), b = gen();
        if (op == 9) { a.m = (rnd() % 4 == 0) ? (rnd() & 0x807fffffull) : (rnd() % 4 == 1) ? (0x7f800000ull | (rnd() & 0x803fffffull)) : (rnd() & 0xffffffffull); }
        if (op == 10) { a.m = (rnd() % 4 == 0) ? (rnd() & 0x800fffffffffffffull) : (rnd() % 4 == 1) ? (0x7ff0000000000000ull | (rnd() & 0x8007ffffffffffffull)) : rnd(); }
        mem = 0x5a5a5a5a5a5a5a5aull;
        run(op, cws[ci], &a, &b);
        memset(img + 12, 0, 16); // FIP/FCS/FOP/FDP/FDS are not compared
        { int top = (img[5] >> 3) & 7; uint16_t tw = img[8] | (img[9] << 8);
          for (int i = 0; i < 8; i++) if (((tw >> (2 * ((top + i) & 7))) & 3) == 3) memset(img + 28 + 10 * i, 0, 10); } // stale empty registers
        printf("%d %04x %04x %016llx %04x %016llx ", op, cws[ci], a.se, (unsigned long long)a.m, b.se, (unsigned long long)b.m);
        for (int i = 0; i < 108; i++) printf("%02x", img[i]);
        printf(" %016llx\n", (unsigned long long)mem);
      }
  return 0;
}
