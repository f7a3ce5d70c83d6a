; NOT RUN BY VITEST: FPREM1's quotient bits. SDM (FPREM1, FPU flags affected): C0 = Q2, C3 = Q1,
; C1 = Q0 of the quotient. QEMU 7.2 leaves C0/C1/C3 clear after FPREM1 (FPREM sets them);
; Hypertab sets them (README.md, "QEMU deviations").
%include "harness.inc"
test_main:
  call sys_init
  call fpu_init
  fld qword [three]
  fld qword [four]
  fprem1
  DUMPFPU 1
  fninit
  fld qword [three]
  fld qword [four]
  fprem
  DUMPFPU 2
  fninit
  fld qword [m3]
  fld qword [m4]
  fprem1
  DUMPFPU 3
  fninit
  fld qword [three]
  fld qword [seven]
  fprem1
  DUMPFPU 4
  ret
three: dq 3.0
four: dq 4.0
seven: dq 7.0
m3: dq -22.9205
m4: dq -23.0
%include "sys.inc"
%include "harness-end.inc"
