// The Linux guest's initramfs: static busybox, every applet a symlink, the kernel modules of
// GUEST_MODULES, and an /init that mounts the pseudo file systems, starts hot-plug handling
// (hotplug.ts), prints the banner and hands over to busybox init, which keeps a root shell on ttyS0
// (and on tty1 when the kernel has a VGA console).

import { gzipSync } from "fflate";
import { busyboxApplets } from "./busybox-applets.ts";
import { writeCpioNewc, type CpioEntry } from "./cpio-newc.ts";
import { sha256 } from "./exec.ts";
import { HOTPLUG_FILES, type GuestFile } from "./hotplug.ts";
import { moduleFiles, type ModuleSet } from "./kernel-modules.ts";

export const GUEST_BANNER = "Hypertab Linux guest ready";
export const GUEST_PROMPT = "hypertab# ";

const encoder = new TextEncoder();

/** The kernel modules the guest carries (with their dependencies); everything else is built in. */
export const GUEST_MODULES = [
  // Disks: the chipset's PIIX3 IDE function, ATA disks as /dev/sda.., the floppy controller (/dev/fd0).
  "ata_piix",
  "sd_mod",
  "floppy",
  // A file system busybox can make (mkdosfs) and mount; FAT's default code page and iocharset.
  "vfat",
  "nls_cp437",
  "nls_ascii",
  // Network cards: NE2000 PCI (RTL8029), virtio-net, Intel e1000.
  "ne2k_pci",
  "virtio_pci",
  "virtio_net",
  "e1000",
] as const;

const INIT_SCRIPT = `#!/bin/sh
# Hypertab Linux guest: PID 1 until busybox init takes over.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mkdir -p /run /var/log

# The guest's name: hostname= on the kernel command line, else "hypertab" (DHCP sends it).
name=hypertab
for arg in $(cat /proc/cmdline); do
  case "$arg" in hostname=?*) name="\${arg#hostname=}" ;; esac
done
hostname "$name"
ip link set lo up

# Kernel messages below warnings go to dmesg only from now on, not over the shell.
dmesg -n 4
# Drivers are modules. mdev (a daemon, /etc/mdev.conf) handles the kernel's hot-plug events: it
# loads the driver of each device that appears (a PCI card plugged in later, a disk found by its
# controller) and gives new network interfaces DHCP (/lib/mdev/net). The devices present now get
# their drivers in the background, so the shell does not wait for them.
if [ -d "/lib/modules/$(uname -r)" ]; then
  mdev -d
  cat /sys/bus/pci/devices/*/modalias /sys/bus/acpi/devices/*/modalias 2>/dev/null | sort -u | xargs modprobe -qa 2>/dev/null &
fi

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

/** busybox has mkdosfs but no mkfs.vfat applet; the usual name works too. */
const MKFS_VFAT = `#!/bin/sh
exec mkdosfs "$@"
`;

const FILES: readonly GuestFile[] = [
  { path: "init", text: INIT_SCRIPT, mode: 0o755 },
  { path: "etc/profile", text: PROFILE, mode: 0o644 },
  { path: "etc/passwd", text: "root:x:0:0:root:/root:/bin/sh\n", mode: 0o644 },
  { path: "etc/group", text: "root:x:0:\n", mode: 0o644 },
  // busybox mount without -t tries these (and /proc/filesystems): naming vfat makes the kernel load it.
  { path: "etc/filesystems", text: "vfat\n", mode: 0o644 },
  { path: "bin/mkfs.vfat", text: MKFS_VFAT, mode: 0o755 },
  ...HOTPLUG_FILES,
];

/** Changes whenever the initramfs's own files or module list change, so the pipeline rebuilds it. */
export const INITRAMFS_RECIPE = sha256(encoder.encode(JSON.stringify([FILES, GUEST_MODULES]))).slice(0, 16);

const TOP_DIRS = ["bin", "dev", "etc", "proc", "root", "sys", "tmp", "usr", "var", "mnt", "run"];

/** The initramfs as an uncompressed newc cpio archive (deterministic). `modules` come from
 *  resolveModules(kernel package, GUEST_MODULES); without them the guest has no loadable drivers. */
export function buildInitramfsCpio(busybox: Uint8Array, modules?: ModuleSet): Uint8Array {
  const applets = busyboxApplets(busybox);
  const files: CpioEntry[] = [
    ...FILES.map((f): CpioEntry => ({ kind: "file", path: f.path, data: encoder.encode(f.text), mode: f.mode })),
    ...(modules ? moduleFiles(modules) : []),
  ];
  // Every folder the files need that the fixed layout does not already have, parents first.
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  const entries: CpioEntry[] = [
    ...TOP_DIRS.map((path): CpioEntry => ({ kind: "dir", path, mode: path === "tmp" ? 0o1777 : 0o755 })),
    ...[...dirs].filter((d) => !TOP_DIRS.includes(d)).sort().map((path): CpioEntry => ({ kind: "dir", path })),
    // One directory for every applet; the usual paths point at it.
    { kind: "symlink", path: "sbin", target: "bin" },
    { kind: "symlink", path: "usr/bin", target: "../bin" },
    { kind: "symlink", path: "usr/sbin", target: "../bin" },
    // The kernel opens /dev/console for init before devtmpfs is mounted.
    { kind: "chardev", path: "dev/console", major: 5, minor: 1, mode: 0o600 },
    { kind: "file", path: "bin/busybox", data: busybox, mode: 0o755 },
    ...applets.filter((name) => name !== "busybox").map((name): CpioEntry => ({ kind: "symlink", path: `bin/${name}`, target: "busybox" })),
    ...files,
  ];
  return writeCpioNewc(entries, { mtime: 0 });
}

/** gzip (fflate) of the cpio archive, with a zero mtime so rebuilds are byte-identical. */
export function buildInitramfs(busybox: Uint8Array, modules?: ModuleSet): Uint8Array {
  return gzipSync(buildInitramfsCpio(busybox, modules), { level: 9, mtime: 0 });
}
