// Generates tests/fpu/x87-transcendental-reference.txt: FSIN/FCOS/FPTAN/FSINCOS/F2XM1/FYL2X/
// FYL2XP1/FPATAN results measured on the host CPU, for x87-transcendental.test.ts.
// gcc -O1 -o /tmp/x87tr tests/fpu/x87-transcendental-reference.c && /tmp/x87tr > tests/fpu/x87-transcendental-reference.txt
// Line format (hex): op cw a_se a_sig b_se b_sig | r_se r_sig r2_se r2_sig sw
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct __attribute__((packed)) { uint64_t m; uint16_t se; } f80;
static uint64_t s = 0x853c49e6748fea9bull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }

static f80 val(int expLo, int expHi, int sign) {
  f80 v; v.m = rnd() | (1ull << 63);
  v.se = (uint16_t)((sign ? 0x8000 : 0) | (16383 + expLo + (int)(rnd() % (unsigned)(expHi - expLo + 1))));
  return v;
}

#define PRE "fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n"
#define POST "fnstsw %[sw]\n fstpt %[r]\n fstpt %[r2]\n"
#define ONE(n, ins) case n: __asm__ volatile(PRE ins "\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw) : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw)); break;

static void run(int op, uint16_t cw, f80 *a, f80 *b, f80 *r, f80 *r2, uint16_t *sw) {
  switch (op) {
    ONE(0, "fsin")
    ONE(1, "fcos")
    ONE(2, "fptan\n fstp %%st(1)")
    ONE(3, "fsincos\n fxch")
    ONE(4, "f2xm1")
    ONE(5, "fyl2x\n fld1")
    ONE(6, "fyl2xp1\n fld1")
    ONE(7, "fpatan\n fld1")
  }
}

int main(void) {
  for (int op = 0; op < 8; op++) {
    for (int k = 0; k < 400; k++) {
      uint16_t cw = (k % 8 == 7) ? 0x0f7f : (k % 8 == 6) ? 0x077f : (k % 8 == 5) ? 0x027f : 0x037f;
      int sg = rnd() & 1;
      f80 a, b, r, r2; uint16_t sw;
      b = val(-3, 3, rnd() & 1);
      switch (op) {
        case 0: case 1: case 2: case 3: a = (k % 10 == 0) ? val(-70, -20, sg) : (k % 10 == 1) ? val(10, 62, sg) : val(-4, 5, sg); break;
        case 4: a = (k % 10 == 0) ? val(-90, -30, sg) : val(-12, -1, sg); break;
        case 5: a = (k % 5 == 0) ? val(-16000, 16000, 0) : val(-3, 3, 0); if (k % 7 == 0) { a.se = 16383; a.m = (1ull << 63) | (rnd() & 0xffff); } if (k % 11 == 0) { a.se = 16382; a.m = ~0ull - (rnd() & 0xffff); } break;
        case 6: a = (k % 10 == 0) ? val(-200, -40, sg) : val(-12, -2, sg); break;
        case 7: a = val(-20, 20, sg); b = (k % 4 == 0) ? val(-80, 80, rnd() & 1) : val(-3, 3, rnd() & 1); break;
      }
      run(op, cw, &a, &b, &r, &r2, &sw);
      printf("%d %04x %04x %016llx %04x %016llx %04x %016llx %04x %016llx %04x\n", op, cw, a.se, (unsigned long long)a.m, b.se,
             (unsigned long long)b.m, r.se, (unsigned long long)r.m, r2.se, (unsigned long long)r2.m, sw);
    }
  }
  return 0;
}
