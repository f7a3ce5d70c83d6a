// Generates tests/fpu/x87-reference.txt: x87 results measured on the host CPU (x86-64, same x87
// semantics as i686), used as known answers by x87-hardware.test.ts.
// Build and run: gcc -O1 -o /tmp/x87ref tests/fpu/x87-reference.c && /tmp/x87ref > tests/fpu/x87-reference.txt
// Line format (hex): op cw a_se a_sig b_se b_sig | r_se r_sig r2_se r2_sig sw extra_hi extra_lo
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct __attribute__((packed)) { uint64_t m; uint16_t se; } f80;

static uint64_t s = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }

static f80 gen(int op, int which, const f80 *other) {
  f80 v; uint32_t c = rnd() % 100; uint64_t sig = rnd() | (1ull << 63); uint16_t sign = (rnd() & 1) << 15;
  int exp;
  if (op == 8 && which == 1) { // FSCALE scale operand: small integers and fractions
    int n = (int)(rnd() % 80) - 40; if (rnd() % 8 == 0) n = (int)(rnd() % 33000) - 16500;
    double d = n + ((rnd() % 4 == 0) ? 0.5 : 0.0); long double ld = d; memcpy(&v, &ld, 10); return v; }
  if (c < 35) exp = 16383 + (int)(rnd() % 140) - 70;
  else if (c < 45 && other) { exp = other->se & 0x7fff; if (exp == 0 || exp == 0x7fff) exp = 16383; if (rnd() & 1) sig = other->m ^ (rnd() & 0xffff); }
  else if (c < 52) { exp = 0; sig >>= (rnd() % 64); if (rnd() % 4 == 0) sig |= 1ull << 63; }
  else if (c < 57) exp = 1 + (int)(rnd() % 80);
  else if (c < 62) exp = 0x7ffe - (int)(rnd() % 80);
  else if (c < 70) exp = 16383 + (int)(rnd() % 280) - 140 + ((rnd() & 1) ? 1023 - 130 : -1022 + 130) * ((rnd() % 3) ? 1 : 0) ;
  else if (c < 76) exp = 16383 + ((rnd() & 1) ? 1023 : -1022) + (int)(rnd() % 60) - 30;
  else if (c < 82) { exp = 16383 + (int)(rnd() % 70); sig = (1ull << 63) | ((rnd() & 0xff) << 50); }
  else if (c < 86) { exp = 0; sig = 0; }
  else if (c < 89) { exp = 0x7fff; sig = 1ull << 63; }
  else if (c < 93) { exp = 0x7fff; sig |= 1ull << 62; }
  else if (c < 96) { exp = 0x7fff; sig &= ~(1ull << 62); if ((sig << 1) == 0) sig |= 1; }
  else if (c < 98) { exp = 16383 + (int)(rnd() % 10); sig &= ~(1ull << 63); }
  else { exp = 16383 + (int)(rnd() % 64); sig = (1ull << 63) >> (rnd() % 3); sig |= 1ull << 63; }
  if (exp < 0) exp = 1;
  if (exp > 0x7fff) exp = 0x7ffe;
  v.m = sig; v.se = sign | exp; return v;
}

/** Memory operands: mostly the value b rounded to the format, sometimes raw bit patterns (denormals,
 *  SNaNs, infinities). */
static uint32_t memval32(const f80 *b) {
  uint32_t c = (uint32_t)(b->m >> 3) % 8, x = (uint32_t)b->m;
  if (c == 0) return x & 0x807fffff; if (c == 1) return 0x7f800000 | (x & 0x803fffff); if (c == 2) return x;
  long double v; memcpy(&v, b, 10); float f = (float)v; memcpy(&x, &f, 4); return x;
}
static uint64_t memval64(const f80 *b) {
  uint64_t c = (b->m >> 3) % 8, x = b->m;
  if (c == 0) return x & 0x800fffffffffffffull; if (c == 1) return 0x7ff0000000000000ull | (x & 0x8007ffffffffffffull); if (c == 2) return x;
  long double v; memcpy(&v, b, 10); double d = (double)v; memcpy(&x, &d, 8); return x;
}

#define PRE "fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n"
#define POST "fnstsw %[sw]\n fstpt %[r]\n fstpt %[r2]\n"

static void run(int op, uint16_t cw, f80 *a, f80 *b, f80 *r, f80 *r2, uint16_t *sw, uint64_t *ex) {
  uint64_t e = 0; memset(r, 0, 10); memset(r2, 0, 10); uint32_t e32 = 0; uint8_t bcd[10] = {0};
  switch (op) {
#define ONE(n, ins) case n: __asm__ volatile(PRE ins "\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw) : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw)); break;
    ONE(0, "fadd %%st(1), %%st")
    ONE(1, "fsub %%st(1), %%st")
    ONE(2, "fmul %%st(1), %%st")
    ONE(3, "fdiv %%st(1), %%st")
    ONE(4, "fsqrt")
    ONE(5, "fprem")
    ONE(6, "fprem1")
    ONE(7, "frndint")
    ONE(8, "fscale")
    ONE(9, "fxtract")
    case 10: __asm__ volatile(PRE "fsts %[e]\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw), [e] "=m"(e32) : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw)); e = e32; break;
    case 11: __asm__ volatile(PRE "fstl %[e]\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw), [e] "=m"(e) : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw)); break;
    case 12: __asm__ volatile(PRE "fistl %[e]\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw), [e] "=m"(e32) : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw)); e = e32; break;
    case 13: __asm__ volatile(PRE "fistpll %[e]\n fld1\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw), [e] "=m"(e) : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw)); break;
    ONE(14, "fcom %%st(1)")
    ONE(15, "fucom %%st(1)")
    case 16: __asm__ volatile(PRE "fbstp %[e]\n fld1\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw), [e] "=m"(bcd) : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw));
      { uint16_t hi; memcpy(&e, bcd, 8); memcpy(&hi, bcd + 8, 2); ex[0] = hi; ex[1] = e; } return;
#define MEMOP(n, ins, T, val) case n: { T m = (T)(val); __asm__ volatile(PRE ins " %[m]\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw) : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw), [m] "m"(m)); e = (uint64_t)m; break; }
    MEMOP(20, "fadds", uint32_t, memval32(b))
    MEMOP(21, "faddl", uint64_t, memval64(b))
    MEMOP(22, "fmuls", uint32_t, memval32(b))
    MEMOP(23, "fdivrl", uint64_t, memval64(b))
    MEMOP(24, "fiaddl", uint32_t, b->m)
    MEMOP(25, "fisubrs", uint16_t, b->m)
    MEMOP(26, "fcoms", uint32_t, memval32(b))
    MEMOP(27, "ficompl", uint32_t, b->m)
    case 17: { uint32_t f = (uint32_t)a->m; __asm__ volatile("fninit\n fldcw %[cw]\n fldt %[b]\n flds %[f]\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw) : [f] "m"(f), [b] "m"(*b), [cw] "m"(cw)); break; }
    case 18: { uint64_t f = a->m; __asm__ volatile("fninit\n fldcw %[cw]\n fldt %[b]\n fldl %[f]\n" POST : [r] "=m"(*r), [r2] "=m"(*r2), [sw] "=m"(*sw) : [f] "m"(f), [b] "m"(*b), [cw] "m"(cw)); break; }
    ONE(19, "fxam")
  }
  ex[0] = 0; ex[1] = e;
}

int main(void) {
  uint16_t cws[12]; // all exceptions masked; every rounding control x precision control 24/53/64
  for (int rc = 0; rc < 4; rc++) for (int pc = 0; pc < 3; pc++) cws[rc * 3 + pc] = 0x7f | (rc << 10) | ((pc == 0 ? 3 : pc == 1 ? 0 : 2) << 8);
  const int ncw = 12;
  for (int op = 0; op <= 27; op++) {
    int per = (op == 10 || op == 11 || op <= 3) ? 70 : op >= 20 ? 24 : 30;
    for (int ci = 0; ci < ncw; ci++) {
      uint16_t cw = cws[ci];
      if (op >= 14 && op <= 19 && ci > 0) break; // compares/FXAM/loads: rounding does not matter
      for (int k = 0; k < per * ((op >= 14 && op <= 19) ? 4 : 1); k++) {
        f80 a = gen(op, 0, 0), b = gen(op, 1, &a), r, r2; uint16_t sw; uint64_t ex[2];
        if (op == 17) a.m = rnd() & 0xffffffffull;
        if (op == 17 && (k & 3) == 0) a.m = (a.m & 0x807fffffull) | ((k & 4) ? 0x7f800000ull : 0);
        if (op == 18) a.m = rnd();
        if (op == 18 && (k & 3) == 0) a.m = (a.m & 0x800fffffffffffffull) | ((k & 4) ? 0x7ff0000000000000ull : 0);
        run(op, cw, &a, &b, &r, &r2, &sw, ex);
        printf("%d %04x %04x %016llx %04x %016llx %04x %016llx %04x %016llx %04x %016llx %016llx\n", op, cw, a.se, (unsigned long long)a.m,
               b.se, (unsigned long long)b.m, r.se, (unsigned long long)r.m, r2.se, (unsigned long long)r2.m, sw,
               (unsigned long long)ex[0], (unsigned long long)ex[1]);
      }
    }
  }
  return 0;
}
