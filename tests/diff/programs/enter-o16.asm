; ENTER with a 16-bit operand size (0x66) on a 32-bit stack (SS.B=1). SDM ENTER: Push(BP);
; FrameTemp <- ESP (StackSize 32); "IF OperandSize = 16 THEN BP <- FrameTemp": only BP changes,
; EBP[31:16] keeps its value; ESP <- ESP - Size.
%include "harness.inc"
test_main:
  call sys_init
  mov [saved_esp], esp
  mov ebp, 0x1234
  o16 enter 4, 0
  DUMP 1, 0
  mov esp, [saved_esp]
  xor ebp, ebp
  DUMP 2, 0
  ret
saved_esp: dd 0
%include "sys.inc"
%include "harness-end.inc"
