#!/usr/bin/env python3
"""Generates tests/simd/sse-unmasked-reference.txt: SSE results with exceptions unmasked, measured on
the host CPU (a SIGFPE handler reads MXCSR and XMM0 at the #XM), for sse-unmasked.test.ts.
Usage: python3 tests/simd/sse-unmasked-reference.py (needs gcc on an x86-64 Linux host).
Line format: name opcode prefix modrm imm mxcsr a b | faulted xmm0 mxcsr_out"""
import os, subprocess

OPS = [  # name, asm, opcode, prefix, imm, inputs
    ("addps", "addps %xmm1, %xmm0", 0x58, 0, -1, "s"), ("subpd", "subpd %xmm1, %xmm0", 0x5C, 0x66, -1, "d"),
    ("mulps", "mulps %xmm1, %xmm0", 0x59, 0, -1, "s"), ("divps", "divps %xmm1, %xmm0", 0x5E, 0, -1, "s"),
    ("divsd", "divsd %xmm1, %xmm0", 0x5E, 0xF2, -1, "d"), ("mulss", "mulss %xmm1, %xmm0", 0x59, 0xF3, -1, "s"),
    ("sqrtps", "sqrtps %xmm1, %xmm0", 0x51, 0, -1, "s"), ("sqrtsd", "sqrtsd %xmm1, %xmm0", 0x51, 0xF2, -1, "d"),
    ("minps", "minps %xmm1, %xmm0", 0x5D, 0, -1, "s"), ("maxsd", "maxsd %xmm1, %xmm0", 0x5F, 0xF2, -1, "d"),
    ("cmpltps", "cmpltps %xmm1, %xmm0", 0xC2, 0, 1, "s"), ("cmpeqpd", "cmpeqpd %xmm1, %xmm0", 0xC2, 0x66, 0, "d"),
    ("cvtsd2ss", "cvtsd2ss %xmm1, %xmm0", 0x5A, 0xF2, -1, "d"), ("cvtpd2ps", "cvtpd2ps %xmm1, %xmm0", 0x5A, 0x66, -1, "d"),
    ("cvtps2dq", "cvtps2dq %xmm1, %xmm0", 0x5B, 0x66, -1, "s"), ("cvttpd2dq", "cvttpd2dq %xmm1, %xmm0", 0xE6, 0x66, -1, "d"),
    ("cvtss2sd", "cvtss2sd %xmm1, %xmm0", 0x5A, 0xF3, -1, "s"),
]

C = r'''
#define _GNU_SOURCE
#include <signal.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
__attribute__((aligned(16), used)) uint8_t a[16], b[16], r[16];
__attribute__((used)) uint32_t mx, mxo;
static sigjmp_buf jb; static volatile int faulted;
static void handler(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *u = ctx; mxo = u->uc_mcontext.fpregs->mxcsr; memcpy(r, &u->uc_mcontext.fpregs->_xmm[0], 16);
  faulted = 1; siglongjmp(jb, 1);
}
static uint64_t s = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static uint32_t f32(void) {
  uint32_t c = rnd() % 100, sign = (uint32_t)(rnd() & 1) << 31, m = rnd() & 0x7fffff; int e;
  if (c < 35) e = 127 + (int)(rnd() % 20) - 10; else if (c < 45) e = 0; else if (c < 55) e = 1 + (int)(rnd() % 8);
  else if (c < 65) e = 254 - (int)(rnd() % 8); else if (c < 70) { e = 0; m = 0; } else if (c < 74) { e = 255; m = 0; }
  else if (c < 78) { e = 255; m |= 0x400000; } else if (c < 82) { e = 255; m &= 0x3fffff; if (!m) m = 1; }
  else if (c < 90) { e = 127 + (int)(rnd() % 8); m &= 0x7f0000; } else e = 127 + 31 - (int)(rnd() % 3);
  return sign | ((uint32_t)e << 23) | m;
}
static uint64_t f64(void) {
  uint64_t c = rnd() % 100, sign = (rnd() & 1) << 63, m = rnd() & 0xfffffffffffffull; int e;
  if (c < 35) e = 1023 + (int)(rnd() % 20) - 10; else if (c < 45) e = 0; else if (c < 55) e = 1 + (int)(rnd() % 8);
  else if (c < 65) e = 2046 - (int)(rnd() % 8); else if (c < 70) { e = 0; m = 0; } else if (c < 74) { e = 2047; m = 0; }
  else if (c < 78) { e = 2047; m |= 1ull << 51; } else if (c < 82) { e = 2047; m &= (1ull << 51) - 1; if (!m) m = 1; }
  else if (c < 86) { e = 1023 + (int)(rnd() % 8); m &= 0xff00000000000ull; } else if (c < 93) e = 1023 - 127 - (int)(rnd() % 30);
  else e = 1023 + 127 + (int)(rnd() % 3);
  return sign | ((uint64_t)e << 52) | m;
}
static void fill(uint8_t *p, char k) {
  if (k == 's') for (int i = 0; i < 4; i++) { uint32_t v = f32(); memcpy(p + 4 * i, &v, 4); }
  else for (int i = 0; i < 2; i++) { uint64_t v = f64(); memcpy(p + 8 * i, &v, 8); }
}
'''

def main():
    out = [C]
    for i, (name, asm, *_r) in enumerate(OPS):
        out.append(f'static void op{i}(void) {{ __asm__ volatile("movdqu a(%%rip), %%xmm0\\n movdqu b(%%rip), %%xmm1\\n ldmxcsr mx(%%rip)\\n {asm.replace("%", "%%")}\\n stmxcsr mxo(%%rip)\\n movdqu %%xmm0, r(%%rip)\\n" ::: "xmm0", "xmm1", "memory"); }}')
    out.append("static void (*fns[])(void) = {" + ", ".join(f"op{i}" for i in range(len(OPS))) + "};")
    out.append("static const char *names[] = {" + ", ".join(f'"{o[0]}"' for o in OPS) + "};")
    out.append("static const char *meta[] = {" + ", ".join('"%02x %02x c1 %d"' % (o[2], o[3], o[4]) for o in OPS) + "};")
    out.append("static const char kinds[] = \"" + "".join(o[5] for o in OPS) + "\";")
    out.append(r'''
int main(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = handler; sa.sa_flags = SA_SIGINFO | SA_NODEFER; sigaction(SIGFPE, &sa, 0);
  static const uint32_t masks[] = {0x1f00, 0x1e80, 0x1d80, 0x1b80, 0x1780, 0x0f80, 0x0000, 0x1d00};
  for (int i = 0; i < (int)(sizeof fns / sizeof fns[0]); i++)
    for (int mi = 0; mi < 8; mi++) for (int n = 0; n < 14; n++) {
      mx = masks[mi] | ((n & 1) ? 0x6000 : 0);
      fill(a, kinds[i]); fill(b, kinds[i]); memset(r, 0, 16);
      faulted = 0;
      if (sigsetjmp(jb, 1) == 0) fns[i]();
      printf("%s %s %08x ", names[i], meta[i], mx);
      for (int j = 15; j >= 0; j--) printf("%02x", a[j]); printf(" ");
      for (int j = 15; j >= 0; j--) printf("%02x", b[j]); printf(" %d ", faulted);
      for (int j = 15; j >= 0; j--) printf("%02x", r[j]);
      printf(" %08x\n", mxo);
    }
  return 0;
}''')
    src = "/tmp/sse-unmasked.c"
    open(src, "w").write("\n".join(out))
    subprocess.check_call(["gcc", "-O1", "-w", "-o", "/tmp/sse-unmasked", src])
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "sse-unmasked-reference.txt"), "w") as f:
        subprocess.check_call(["/tmp/sse-unmasked"], stdout=f)

main()
