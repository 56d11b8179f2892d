#!/usr/bin/env bash
# The demo (README command 1: `make demo`) and the commands to use what it leaves running:
#
#   test/demo/demo.sh                  set-up (cached), then ironlb installed with Helm on the real-node lab: a
#                                      LoadBalancer Service answered by real pods, a measured failover (test/demo/demo.ts)
#   test/demo/demo.sh kubectl ARGS...  kubectl against the demo's cluster
#   test/demo/demo.sh shell            a shell inside the demo's sandbox (KUBECONFIG set; kubectl and helm on PATH)
#   test/demo/demo.sh down             the demo's lab down, then its sandbox stopped (`make lab-down` runs this)
#
# Where it runs: a sandbox of its own (test/lab/scripts/sandbox.sh: network and mount namespaces; name `demo`, or
# IRONLB_DEMO_SANDBOX; lab directory /tmp/ironlb-lab-<name>). So it coexists with the stand-in lab of `make test` and
# `pnpm lab up` (root namespaces, /tmp/ironlb-lab) and with `pnpm test:e2e-real`'s sandbox: the lab's fixed names,
# addresses and ports exist once per sandbox, and no lab packet can leave it.
#
# Set-up it does itself, cached under ~/.cache/ironlb: scripts/toolchain.sh (Node, pnpm, Kubernetes binaries, helm),
# test/lab/scripts/build-node-bins.sh (kubelet, kube-proxy, kube-scheduler; containerd, runc, CNI from Debian) and
# build-images.sh (the images, ironlb's from the committed HEAD or IRONLB_IMAGE_REV). Needs root.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Node, pnpm, kubectl and helm come from the toolchain (which installs what is missing).
if [ -z "${IRONLB_HELM:-}" ] || [ -z "${IRONLB_K8S_BIN_DIR:-}" ]; then
  exec "$root/scripts/toolchain.sh" "$root/test/demo/demo.sh" "$@"
fi
name="${IRONLB_DEMO_SANDBOX:-demo}"
dir=/tmp/ironlb-lab-$name
sandbox="$root/test/lab/scripts/sandbox.sh"
say() { printf '\033[1m[demo]\033[0m %s\n' "$*" >&2; }
inside() { (cd "$root" && IRONLB_LAB_DIR="$dir" "$sandbox" exec "$name" "$@"); }
running() { [ -f "/run/ironlb-sandbox/$name" ] && inside true 2>/dev/null; }

[ "$(id -u)" = 0 ] || { say "needs root (network namespaces, containerd, kubelet)"; exit 2; }

case "${1:-run}" in
  run)
    t0=$SECONDS
    say "set-up: node binaries (cached in ~/.cache/ironlb/k8s)"
    "$root/test/lab/scripts/build-node-bins.sh" >/dev/null
    t1=$SECONDS
    say "set-up: images (cached in ~/.cache/ironlb/images; ironlb from the committed ${IRONLB_IMAGE_REV:-HEAD})"
    "$root/test/lab/scripts/build-images.sh" >/dev/null
    t2=$SECONDS
    "$sandbox" start "$name" >/dev/null
    say "set-up: node binaries $((t1 - t0)) s, images $((t2 - t1)) s; the lab runs in sandbox $name ($dir)"
    inside env IRONLB_LAB_MODE=real IRONLB_DEMO_SANDBOX="$name" \
      pnpm -s exec tsx --conditions=ironlb-source test/demo/demo.ts
    say "demo done in $((SECONDS - t0)) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    ;;
  kubectl)
    shift
    running || { say "the demo is not running (make demo)"; exit 1; }
    inside "$IRONLB_K8S_BIN_DIR/kubectl" --kubeconfig "$dir/kubeconfig" "$@"
    ;;
  shell)
    running || { say "the demo is not running (make demo)"; exit 1; }
    say "inside sandbox $name: kubectl, helm, ip netns exec ilb-client curl …; exit to leave"
    inside env KUBECONFIG="$dir/kubeconfig" PATH="$IRONLB_K8S_BIN_DIR:$(dirname "$IRONLB_HELM"):$PATH" \
      PS1="(ironlb demo) \\w# " bash --norc -i
    ;;
  down)
    if running; then
      inside pnpm -s lab down
      "$sandbox" stop "$name"
    else
      say "no demo sandbox $name running"
    fi
    ;;
  *)
    echo "usage: test/demo/demo.sh [run | kubectl ARGS... | shell | down]" >&2
    exit 2
    ;;
esac
