// The Linux guest's initramfs: static busybox, every applet a symlink, and an /init that mounts the
// pseudo file systems, prints the banner and hands over to busybox init, which keeps a root shell
// on ttyS0 (and on tty1 when the kernel has a VGA console).

import { gzipSync } from "fflate";
import { busyboxApplets } from "./busybox-applets.ts";
import { writeCpioNewc, type CpioEntry } from "./cpio-newc.ts";

export const GUEST_BANNER = "Hypertab Linux guest ready";
export const GUEST_PROMPT = "hypertab# ";

const encoder = new TextEncoder();

const INIT_SCRIPT = `#!/bin/sh
# Hypertab Linux guest: PID 1 until busybox init takes over.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
hostname hypertab

# A VGA (or framebuffer) text console exists when the first virtual console is not the dummy one.
vga=0
if [ -r /sys/class/vtconsole/vtcon0/name ] && ! grep -q dummy /sys/class/vtconsole/vtcon0/name; then vga=1; fi

echo "::sysinit:/bin/true" > /etc/inittab
if [ -c /dev/ttyS0 ] && [ -r /proc/tty/driver/serial ] && grep -q '^0: uart:[^u]' /proc/tty/driver/serial; then
  echo "ttyS0::respawn:-/bin/sh" >> /etc/inittab
  echo "${GUEST_BANNER}" > /dev/ttyS0
fi
if [ "$vga" = 1 ] && [ -c /dev/tty1 ]; then
  echo "tty1::respawn:-/bin/sh" >> /etc/inittab
  echo "${GUEST_BANNER}" > /dev/tty1
fi
if ! grep -q respawn /etc/inittab; then
  echo "console::respawn:-/bin/sh" >> /etc/inittab
  echo "${GUEST_BANNER}" > /dev/console
fi
echo "::ctrlaltdel:/sbin/reboot" >> /etc/inittab
echo "::shutdown:/bin/umount -a -r" >> /etc/inittab
exec /sbin/init
`;

const PROFILE = `export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
export TERM=linux
export PS1='${GUEST_PROMPT}'
`;

/** The initramfs as an uncompressed newc cpio archive (deterministic). */
export function buildInitramfsCpio(busybox: Uint8Array): Uint8Array {
  const applets = busyboxApplets(busybox);
  const entries: CpioEntry[] = [
    ...["bin", "dev", "etc", "proc", "root", "sys", "tmp", "usr", "var", "mnt", "run"].map(
      (path): CpioEntry => ({ kind: "dir", path, mode: path === "tmp" ? 0o1777 : 0o755 }),
    ),
    // One directory for every applet; the usual paths point at it.
    { kind: "symlink", path: "sbin", target: "bin" },
    { kind: "symlink", path: "usr/bin", target: "../bin" },
    { kind: "symlink", path: "usr/sbin", target: "../bin" },
    // The kernel opens /dev/console for init before devtmpfs is mounted.
    { kind: "chardev", path: "dev/console", major: 5, minor: 1, mode: 0o600 },
    { kind: "file", path: "bin/busybox", data: busybox, mode: 0o755 },
    ...applets.filter((name) => name !== "busybox").map((name): CpioEntry => ({ kind: "symlink", path: `bin/${name}`, target: "busybox" })),
    { kind: "file", path: "init", data: encoder.encode(INIT_SCRIPT), mode: 0o755 },
    { kind: "file", path: "etc/profile", data: encoder.encode(PROFILE), mode: 0o644 },
    { kind: "file", path: "etc/passwd", data: encoder.encode("root:x:0:0:root:/root:/bin/sh\n"), mode: 0o644 },
    { kind: "file", path: "etc/group", data: encoder.encode("root:x:0:\n"), mode: 0o644 },
  ];
  return writeCpioNewc(entries, { mtime: 0 });
}

/** gzip (fflate) of the cpio archive, with a zero mtime so rebuilds are byte-identical. */
export function buildInitramfs(busybox: Uint8Array): Uint8Array {
  return gzipSync(buildInitramfsCpio(busybox), { level: 9, mtime: 0 });
}
