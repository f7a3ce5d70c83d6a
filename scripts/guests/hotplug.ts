// The Linux guest's hot-plug handling, as files for the initramfs: busybox mdev (started as a
// daemon by /init) receives the kernel's uevents, loads the driver of every device that appears
// (by its MODALIAS, through modules.alias) and hands network interfaces to /lib/mdev/net, which
// brings them up with a DHCP client; udhcpc's hook applies the lease.

export interface GuestFile {
  path: string;
  text: string;
  mode: number;
}

/** mdev's rules. "-" keeps matching the next rules; "@" runs on add, "*" on add and remove. */
const MDEV_CONF = `# Hypertab: mdev -d handles the kernel's hot-plug events (see /init).
# Any device with a MODALIAS (a PCI card, a disk found by its controller) gets its driver.
-$MODALIAS=.* 0:0 660 @modprobe -q "$MODALIAS"
# Network interfaces: DHCP when one appears, its client stopped when it goes.
SUBSYSTEM=net;.* 0:0 600 */lib/mdev/net
`;

const NET_HANDLER = `#!/bin/sh
# mdev runs this when a network interface appears or goes ($ACTION add/remove, $MDEV its name).
# A new interface is brought up and gets a DHCP client (udhcpc, sending the hostname) in the
# background; when it goes, its client is stopped. Log: /var/log/udhcpc.<interface>.log
[ -n "$MDEV" ] && [ "$MDEV" != lo ] || exit 0
pidfile="/run/udhcpc.$MDEV.pid"
case "$ACTION" in
add)
  ip link set "$MDEV" up
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then exit 0; fi
  udhcpc -f -i "$MDEV" -p "$pidfile" -x "hostname:$(hostname)" </dev/null >>"/var/log/udhcpc.$MDEV.log" 2>&1 &
  ;;
remove)
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  rm -f "$pidfile"
  ;;
esac
exit 0
`;

const UDHCPC_SCRIPT = `#!/bin/sh
# udhcpc's hook ($1: deconfig, bound, renew, leasefail or nak): applies the lease ($ip, $mask,
# $broadcast, $router, $dns, $domain) to $interface, the default route and /etc/resolv.conf.
case "$1" in
deconfig)
  ip -4 addr flush dev "$interface"
  ip link set "$interface" up
  ;;
bound|renew)
  if ! ip -4 addr show dev "$interface" | grep -q "inet $ip/$mask "; then
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" \${broadcast:+broadcast "$broadcast"} dev "$interface"
  fi
  if [ -n "$router" ]; then
    # One default route per interface, told apart by metric (its index), so that several
    # interfaces can hold one each and another takes over when one goes.
    while ip route del default dev "$interface" 2>/dev/null; do :; done
    metric=$(cat "/sys/class/net/$interface/ifindex")
    for r in $router; do ip route add default via "$r" dev "$interface" metric "$metric" && break; done
  fi
  if [ -n "$dns$domain" ]; then
    { [ -n "$domain" ] && echo "search $domain"; for d in $dns; do echo "nameserver $d"; done; } > /etc/resolv.conf
  fi
  ;;
esac
exit 0
`;

export const HOTPLUG_FILES: readonly GuestFile[] = [
  { path: "etc/mdev.conf", text: MDEV_CONF, mode: 0o644 },
  { path: "lib/mdev/net", text: NET_HANDLER, mode: 0o755 },
  // busybox udhcpc's built-in default script path (Debian's build).
  { path: "etc/udhcpc/default.script", text: UDHCPC_SCRIPT, mode: 0o755 },
];
