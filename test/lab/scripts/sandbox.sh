#!/usr/bin/env bash
# A second, isolated lab beside the shared one (which other people's e2e runs use on this machine).
#
# The lab's names and addresses are fixed (ilb-node-N, ilb-host with 2001:db8::1, ports 26443/42379/…), so two
# labs cannot share the root namespaces. A sandbox is a network namespace that plays the lab's "root namespace"
# plus a private mount namespace whose /run/netns is its own tmpfs: inside it, `pnpm lab up` creates its
# ilb-* namespaces, host link and listeners without touching the shared lab, and nothing in it can reach the
# machine's uplink (the sandbox network namespace has only loopback and the lab's links).
#
#   sandbox.sh start NAME          start the anchor process (idempotent); prints its PID
#   sandbox.sh exec NAME CMD...    run CMD inside (same working directory) with IRONLB_LAB_DIR defaulting to
#                                  /tmp/ironlb-lab-NAME (never the shared lab's /tmp/ironlb-lab)
#   sandbox.sh stop NAME           stop the anchor (run `pnpm lab down` inside first: processes started
#                                  inside keep the namespaces alive)
#
# The anchor is recorded as "<pid> <start time>" in /run/ironlb-sandbox/NAME; it is only ever signalled while
# /proc/<pid>/stat still shows that start time.
set -euo pipefail

state_dir=/run/ironlb-sandbox
say() { echo "sandbox: $*" >&2; }
usage() { echo "usage: sandbox.sh start|exec|stop NAME [CMD...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1 name=$2; shift 2
[[ "$name" =~ ^[a-z0-9-]{1,32}$ ]] || { say "bad name: $name"; exit 2; }
record="$state_dir/$name"

start_ticks() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true; }
live_pid() {
  [ -f "$record" ] || return 1
  local pid ticks
  read -r pid ticks <"$record"
  [ -n "$pid" ] && [ "$(start_ticks "$pid")" = "$ticks" ] || return 1
  echo "$pid"
}

case "$action" in
  start)
    if pid=$(live_pid); then echo "$pid"; exit 0; fi
    mkdir -p "$state_dir" /run/netns
    # The anchor: new network + mount namespaces, a private /run/netns, loopback up, then sleep forever.
    setsid unshare --net --mount --propagation private -- sh -c \
      'mount -t tmpfs -o mode=755 ironlb-sandbox /run/netns && ip link set lo up && exec sleep infinity' \
      </dev/null >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do
      if [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] &&
        grep -q ironlb-sandbox "/proc/$pid/mountinfo" 2>/dev/null && [ "$(cat "/proc/$pid/comm")" = sleep ]; then
        echo "$pid $(start_ticks "$pid")" >"$record"
        echo "$pid"; exit 0
      fi
      sleep 0.1
    done
    say "anchor did not come up"; kill "$pid" 2>/dev/null || true; exit 1
    ;;
  exec)
    [ $# -ge 1 ] || usage
    pid=$(live_pid) || { say "sandbox $name is not running (sandbox.sh start $name)"; exit 1; }
    # The lab directory holds the pidfiles: the shared lab's (the default) must never be used from inside,
    # or `lab down`/`lab kubelet stop` in here would signal the shared lab's processes.
    export IRONLB_LAB_DIR="${IRONLB_LAB_DIR:-/tmp/ironlb-lab-$name}"
    case "$(realpath -m "$IRONLB_LAB_DIR")" in
      /tmp/ironlb-lab) say "IRONLB_LAB_DIR is the shared lab's directory; pick another"; exit 2 ;;
    esac
    exec nsenter --target "$pid" --net --mount --wd="$PWD" -- "$@"
    ;;
  stop)
    if pid=$(live_pid); then kill "$pid"; say "stopped anchor $pid"; fi
    rm -f "$record"
    ;;
  *) usage ;;
esac
