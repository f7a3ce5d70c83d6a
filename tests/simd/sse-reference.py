#!/usr/bin/env python3
"""Generates tests/simd/sse-reference.txt: SSE/SSE2 results measured on the host CPU, the known
answers for sse-hardware.test.ts. Writes a C program, compiles it with gcc and runs it.
Usage: python3 tests/simd/sse-reference.py   (needs gcc on an x86-64 host)
Line format: name opcode prefix modrm imm check mxcsr a b | r mxcsr_out extra
(check: x = compare xmm0 only, a = also EAX, f = also ZF/PF/CF)."""
import os, subprocess, sys

OPS = []  # (name, asm, opcode, prefix, modrm, imm, inputs, check)
def op(name, asm, opcode, prefix, modrm=0xC1, imm=-1, inputs="i", check="x"):
    OPS.append((name, asm, opcode, prefix, modrm, imm, inputs, check))

for base, opc in (("add", 0x58), ("sub", 0x5C), ("mul", 0x59), ("div", 0x5E), ("min", 0x5D), ("max", 0x5F), ("sqrt", 0x51)):
    op(base + "ps", f"{base}ps %xmm1, %xmm0", opc, 0, inputs="s")
    op(base + "pd", f"{base}pd %xmm1, %xmm0", opc, 0x66, inputs="d")
    op(base + "ss", f"{base}ss %xmm1, %xmm0", opc, 0xF3, inputs="s")
    op(base + "sd", f"{base}sd %xmm1, %xmm0", opc, 0xF2, inputs="d")
for p in range(8):
    op(f"cmpps{p}", f"cmpps ${p}, %xmm1, %xmm0", 0xC2, 0, imm=p, inputs="s")
    op(f"cmpsd{p}", f"cmpsd ${p}, %xmm1, %xmm0", 0xC2, 0xF2, imm=p, inputs="d")
op("cvtps2pd", "cvtps2pd %xmm1, %xmm0", 0x5A, 0, inputs="s")
op("cvtpd2ps", "cvtpd2ps %xmm1, %xmm0", 0x5A, 0x66, inputs="d")
op("cvtss2sd", "cvtss2sd %xmm1, %xmm0", 0x5A, 0xF3, inputs="s")
op("cvtsd2ss", "cvtsd2ss %xmm1, %xmm0", 0x5A, 0xF2, inputs="d")
op("cvtdq2ps", "cvtdq2ps %xmm1, %xmm0", 0x5B, 0, inputs="i")
op("cvtps2dq", "cvtps2dq %xmm1, %xmm0", 0x5B, 0x66, inputs="s")
op("cvttps2dq", "cvttps2dq %xmm1, %xmm0", 0x5B, 0xF3, inputs="s")
op("cvtdq2pd", "cvtdq2pd %xmm1, %xmm0", 0xE6, 0xF3, inputs="i")
op("cvtpd2dq", "cvtpd2dq %xmm1, %xmm0", 0xE6, 0xF2, inputs="d")
op("cvttpd2dq", "cvttpd2dq %xmm1, %xmm0", 0xE6, 0x66, inputs="d")
op("cvtss2si", "cvtss2si %xmm1, %eax", 0x2D, 0xF3, inputs="s", check="a")
op("cvttss2si", "cvttss2si %xmm1, %eax", 0x2C, 0xF3, inputs="s", check="a")
op("cvtsd2si", "cvtsd2si %xmm1, %eax", 0x2D, 0xF2, inputs="d", check="a")
op("cvttsd2si", "cvttsd2si %xmm1, %eax", 0x2C, 0xF2, inputs="d", check="a")
op("cvtsi2ss", "mov b(%rip), %eax\n cvtsi2ss %eax, %xmm0", 0x2A, 0xF3, modrm=0xC0, inputs="i")
op("cvtsi2sd", "mov b(%rip), %eax\n cvtsi2sd %eax, %xmm0", 0x2A, 0xF2, modrm=0xC0, inputs="i")
for n, o, pfx, inp in (("comiss", 0x2F, 0, "s"), ("ucomiss", 0x2E, 0, "s"), ("comisd", 0x2F, 0x66, "d"), ("ucomisd", 0x2E, 0x66, "d")):
    op(n, f"{n} %xmm1, %xmm0\n pushfq\n pop %rax", o, pfx, inputs=inp, check="f")
op("movmskps", "movmskps %xmm1, %eax", 0x50, 0, inputs="s", check="a")
op("movmskpd", "movmskpd %xmm1, %eax", 0x50, 0x66, inputs="d", check="a")
op("pmovmskb", "pmovmskb %xmm1, %eax", 0xD7, 0x66, check="a")
for n, o in (("andps", 0x54), ("andnps", 0x55), ("orps", 0x56), ("xorps", 0x57), ("unpcklps", 0x14), ("unpckhps", 0x15)):
    op(n, f"{n} %xmm1, %xmm0", o, 0)
op("unpcklpd", "unpcklpd %xmm1, %xmm0", 0x14, 0x66)
op("unpckhpd", "unpckhpd %xmm1, %xmm0", 0x15, 0x66)
for imm in (0x1B, 0x4E, 0xB1):
    op(f"shufps{imm}", f"shufps ${imm}, %xmm1, %xmm0", 0xC6, 0, imm=imm)
    op(f"pshufd{imm}", f"pshufd ${imm}, %xmm1, %xmm0", 0x70, 0x66, imm=imm)
    op(f"pshufhw{imm}", f"pshufhw ${imm}, %xmm1, %xmm0", 0x70, 0xF3, imm=imm)
    op(f"pshuflw{imm}", f"pshuflw ${imm}, %xmm1, %xmm0", 0x70, 0xF2, imm=imm)
op("shufpd1", "shufpd $1, %xmm1, %xmm0", 0xC6, 0x66, imm=1)
op("shufpd2", "shufpd $2, %xmm1, %xmm0", 0xC6, 0x66, imm=2)
INT = {"paddb": 0xFC, "paddw": 0xFD, "paddd": 0xFE, "paddq": 0xD4, "psubb": 0xF8, "psubw": 0xF9, "psubd": 0xFA, "psubq": 0xFB,
       "paddsb": 0xEC, "paddsw": 0xED, "paddusb": 0xDC, "paddusw": 0xDD, "psubsb": 0xE8, "psubsw": 0xE9, "psubusb": 0xD8, "psubusw": 0xD9,
       "pmullw": 0xD5, "pmulhw": 0xE5, "pmulhuw": 0xE4, "pmuludq": 0xF4, "pmaddwd": 0xF5, "psadbw": 0xF6, "pavgb": 0xE0, "pavgw": 0xE3,
       "pminub": 0xDA, "pmaxub": 0xDE, "pminsw": 0xEA, "pmaxsw": 0xEE, "pcmpeqb": 0x74, "pcmpeqw": 0x75, "pcmpeqd": 0x76,
       "pcmpgtb": 0x64, "pcmpgtw": 0x65, "pcmpgtd": 0x66, "packsswb": 0x63, "packssdw": 0x6B, "packuswb": 0x67,
       "punpcklbw": 0x60, "punpcklwd": 0x61, "punpckldq": 0x62, "punpcklqdq": 0x6C, "punpckhbw": 0x68, "punpckhwd": 0x69,
       "punpckhdq": 0x6A, "punpckhqdq": 0x6D, "pand": 0xDB, "pandn": 0xDF, "por": 0xEB, "pxor": 0xEF}
for n, o in INT.items():
    op(n, f"{n} %xmm1, %xmm0", o, 0x66)
    if n not in ("paddq", "psubq", "pmuludq", "punpcklqdq", "punpckhqdq") or n in ("paddq", "psubq", "pmuludq"):
        if n not in ("punpcklqdq", "punpckhqdq"):
            op(n + "_mmx", f"{n} %mm1, %mm0", o, 0, inputs="m")
for n, o in (("psrlw", 0xD1), ("psrld", 0xD2), ("psrlq", 0xD3), ("psraw", 0xE1), ("psrad", 0xE2), ("psllw", 0xF1), ("pslld", 0xF2), ("psllq", 0xF3)):
    op(n, f"{n} %xmm1, %xmm0", o, 0x66, inputs="c")
    op(n + "_mmx", f"{n} %mm1, %mm0", o, 0, inputs="mc")
for n, o, sub, imms in (("psrlw", 0x71, 2, (3, 15, 16)), ("psraw", 0x71, 4, (3, 15, 40)), ("psllw", 0x71, 6, (1, 9, 17)),
                        ("psrld", 0x72, 2, (5, 31, 32)), ("psrad", 0x72, 4, (7, 31, 200)), ("pslld", 0x72, 6, (4, 20, 33)),
                        ("psrlq", 0x73, 2, (1, 33, 64)), ("psllq", 0x73, 6, (3, 32, 63)), ("psrldq", 0x73, 3, (1, 7, 17)), ("pslldq", 0x73, 7, (2, 15, 16))):
    for imm in imms:
        op(f"{n}_i{imm}", f"{n} ${imm}, %xmm0", o, 0x66, modrm=0xC0 | (sub << 3), imm=imm)
        if n not in ("psrldq", "pslldq"):
            op(f"{n}_i{imm}_mmx", f"{n} ${imm}, %mm0", o, 0, modrm=0xC0 | (sub << 3), imm=imm, inputs="m")
for imm in (0x1B, 0xE4, 0x4E):
    op(f"pshufw{imm}_mmx", f"pshufw ${imm}, %mm1, %mm0", 0x70, 0, imm=imm, inputs="m")
op("pmovmskb_mmx", "pmovmskb %mm1, %eax", 0xD7, 0, inputs="m", check="a")

C_HEAD = r'''
#include <stdint.h>
#include <stdio.h>
#include <string.h>
__attribute__((aligned(16), used)) uint8_t a[16], b[16], r[16];
__attribute__((used)) uint32_t mx, mxo, ex;
static uint64_t s = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static uint32_t f32(void) {
  uint32_t c = rnd() % 100, sign = (uint32_t)(rnd() & 1) << 31, m = rnd() & 0x7fffff; int e;
  if (c < 40) e = 127 + (int)(rnd() % 40) - 20; else if (c < 50) e = (int)(rnd() % 254) + 1;
  else if (c < 58) e = 0; else if (c < 64) e = 1 + (int)(rnd() % 24); else if (c < 70) e = 254 - (int)(rnd() % 24);
  else if (c < 76) { e = 127 + (int)(rnd() % 24); m &= 0x7f0000; } else if (c < 80) { e = 0; m = 0; }
  else if (c < 84) { e = 255; m = 0; } else if (c < 88) { e = 255; m |= 0x400000; } else if (c < 91) { e = 255; m &= 0x3fffff; if (!m) m = 1; }
  else if (c < 96) { e = 127 + 31 - (int)(rnd() % 4); } else { e = 127 + (int)(rnd() % 8); m &= 0x700000; m |= (rnd() & 1) << 18; }
  return sign | ((uint32_t)e << 23) | m;
}
static uint64_t f64(void) {
  uint64_t c = rnd() % 100, sign = (rnd() & 1) << 63, m = rnd() & 0xfffffffffffffull; int e;
  if (c < 40) e = 1023 + (int)(rnd() % 60) - 30; else if (c < 50) e = (int)(rnd() % 2046) + 1;
  else if (c < 58) e = 0; else if (c < 64) e = 1 + (int)(rnd() % 53); else if (c < 70) e = 2046 - (int)(rnd() % 53);
  else if (c < 76) { e = 1023 + (int)(rnd() % 30); m &= 0xff00000000000ull; } else if (c < 80) { e = 0; m = 0; }
  else if (c < 84) { e = 2047; m = 0; } else if (c < 88) { e = 2047; m |= 1ull << 51; } else if (c < 91) { e = 2047; m &= (1ull << 51) - 1; if (!m) m = 1; }
  else if (c < 93) { e = 1023 + 31 - (int)(rnd() % 4); } else if (c < 96) { e = 1023 - 126 - (int)(rnd() % 60); }
  else { e = 1023 + 127 - (int)(rnd() % 4) + (int)(rnd() % 8); }
  return sign | ((uint64_t)e << 52) | m;
}
static void fill(uint8_t *p, char kind, int other) {
  if (kind == 's') for (int i = 0; i < 4; i++) { uint32_t v = f32(); if (other && rnd() % 4 == 0) memcpy(&v, a + 4 * i, 4), v ^= rnd() & 0xff; memcpy(p + 4 * i, &v, 4); }
  else if (kind == 'd') for (int i = 0; i < 2; i++) { uint64_t v = f64(); if (other && rnd() % 4 == 0) memcpy(&v, a + 8 * i, 8), v ^= rnd() & 0xffff; memcpy(p + 8 * i, &v, 8); }
  else { for (int i = 0; i < 16; i++) { uint32_t c = rnd() % 8; p[i] = c == 0 ? 0x7f : c == 1 ? 0x80 : c == 2 ? 0xff : c == 3 ? 0 : (uint8_t)rnd(); }
         if (kind == 'c' && other) { memset(p, 0, 16); p[0] = rnd() % 70; if (rnd() % 8 == 0) p[4] = 1; } }
}
'''

def main():
    out = [C_HEAD]
    for i, (name, asm, *_rest) in enumerate(OPS):
        inputs = _rest[4]
        mmx = inputs.startswith("m")
        load = "movq a(%%rip), %%mm0\\n movq b(%%rip), %%mm1\\n" if mmx else "movdqu a(%%rip), %%xmm0\\n movdqu b(%%rip), %%xmm1\\n"
        store = "movq %%mm0, r(%%rip)\\n emms\\n" if mmx else "movdqu %%xmm0, r(%%rip)\\n"
        body = asm.replace("%", "%%").replace("\n", "\\n")
        out.append(f'static void op{i}(void) {{ __asm__ volatile("{load} ldmxcsr mx(%%rip)\\n {body}\\n mov %%eax, ex(%%rip)\\n stmxcsr mxo(%%rip)\\n {store}" ::: "rax", "xmm0", "xmm1", "mm0", "mm1", "memory", "cc"); }}')
    out.append("static void (*fns[])(void) = {" + ", ".join(f"op{i}" for i in range(len(OPS))) + "};")
    out.append("static const char *names[] = {" + ", ".join(f'"{o[0]}"' for o in OPS) + "};")
    out.append("static const char *meta[] = {" + ", ".join('"%02x %02x %02x %d %s"' % (o[2], o[3], o[4], o[5], o[7]) for o in OPS) + "};")
    out.append("static const char kinds[] = \"" + "".join(("m" if o[6] == "mc" else o[6][0]) if o[6] != "c" else "c" for o in OPS) + "\";")
    out.append("static const int isfloat[] = {" + ", ".join("1" if o[6] in ("s", "d") or o[0].startswith("cvtsi") else "0" for o in OPS) + "};")
    out.append(r'''
int main(void) {
  for (int i = 0; i < (int)(sizeof fns / sizeof fns[0]); i++) {
    int modes = isfloat[i] ? 16 : 1, per = isfloat[i] ? 6 : 16;
    char k = kinds[i];
    for (int mode = 0; mode < modes; mode++) for (int n = 0; n < per; n++) {
      mx = 0x1f80 | ((mode & 3) << 13) | ((mode & 4) ? 0x8000 : 0) | ((mode & 8) ? 0x40 : 0);
      fill(a, k == 'c' || k == 'm' ? 'i' : k, 0); fill(b, k, 1);
      if (k == 'm') { memset(a + 8, 0, 8); memset(b + 8, 0, 8); }
      if (k == 'm' && names[i][1] == 's' && (names[i][2] == 'r' || names[i][2] == 'l')) { memset(b, 0, 16); b[0] = rnd() % 70; }
      memset(r, 0, 16); ex = 0;
      fns[i]();
      printf("%s %s %08x ", names[i], meta[i], mx);
      for (int j = 15; j >= 0; j--) printf("%02x", a[j]); printf(" ");
      for (int j = 15; j >= 0; j--) printf("%02x", b[j]); printf(" ");
      for (int j = 15; j >= 0; j--) printf("%02x", r[j]);
      printf(" %08x %08x\n", mxo, ex);
    }
  }
  return 0;
}''')
    src = "/tmp/sse-reference.c"
    open(src, "w").write("\n".join(out))
    subprocess.check_call(["gcc", "-O1", "-w", "-o", "/tmp/sse-reference", src])
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "sse-reference.txt"), "w") as f:
        subprocess.check_call(["/tmp/sse-reference"], stdout=f)

main()
