#!/usr/bin/env bash
# `pnpm test:e2e-real [vitest args]`: ironlb installed with Helm on the real-node lab (IRONLB_LAB_MODE=real), then
# the e2e-real vitest project against it. Everything runs inside its own sandbox (test/lab/scripts/sandbox.sh:
# own network and mount namespaces, lab directory /tmp/ironlb-lab-e2e-real), so it never touches the shared
# stand-in lab that other e2e runs use, and none of its traffic can leave the sandbox.
#
# Steps, each timed: node binaries and images (cached; the ironlb image is rebuilt only when a file its Dockerfile
# copies changed in the committed HEAD) → lab up (real nodes) → `pnpm lab install` (README's helm install with the
# lab image) → vitest → the pods check (pods-check.ts: `kubectl get pods -A -o wide`, then every ironlb pod must be
# Running and Ready with 0 restarts and no pod OOM-killed), which runs after every file, also when vitest failed.
# On failure the last lines name the failed steps and vitest's failed files and tests (CI keeps only the tail).
# At the end the lab goes down and the sandbox stops, unless IRONLB_KEEP_LAB=1 (then re-runs skip straight to the
# tests; inspect with `test/lab/scripts/sandbox.sh exec e2e-real env KUBECONFIG=/tmp/ironlb-lab-e2e-real/kubeconfig
# kubectl get pods -A`).
#
# Set-up it does itself, cached under ~/.cache/ironlb (see test/lab/README.md): test/lab/scripts/build-node-bins.sh
# and build-images.sh. The ironlb image is built from the committed HEAD: uncommitted changes are not tested here.
# Run as root through scripts/toolchain.sh (node, pnpm, IRONLB_HELM, IRONLB_K8S_BIN_DIR on PATH/env).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
name=e2e-real
sandbox="$root/test/lab/scripts/sandbox.sh"
export IRONLB_LAB_DIR=/tmp/ironlb-lab-$name IRONLB_LAB_MODE=real
say() { printf '\033[1m[e2e-real]\033[0m %s\n' "$*" >&2; }
inside() { (cd "$root" && "$sandbox" exec "$name" "$@"); }

[ -n "${IRONLB_HELM:-}" ] || { say "IRONLB_HELM is unset: run through scripts/toolchain.sh"; exit 2; }

vitest_log=$(mktemp)
failed_steps=()
sandbox_started=0
finish() {
  local rc=$?
  [ ${#failed_steps[@]} -eq 0 ] || rc=1
  if [ "$sandbox_started" = 0 ]; then
    :
  elif [ "${IRONLB_KEEP_LAB:-}" = 1 ]; then
    say "IRONLB_KEEP_LAB=1: lab left up in sandbox $name ($IRONLB_LAB_DIR)"
  else
    say "bringing the lab down"
    inside pnpm -s lab down >&2 || rc=1
    "$sandbox" stop "$name" || rc=1
  fi
  say "$([ "$rc" = 0 ] && echo PASS || echo FAILED) (total $((SECONDS - t_start)) s: ${timings[*]}; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  if [ "$rc" != 0 ]; then
    say "failed steps: ${failed_steps[*]:-see above}"
    # vitest's failed files and tests, again after the lab's teardown output (prefixed, so that a summary that
    # collects FAIL lines from the whole log does not count them twice).
    sed 's/\x1b\[[0-9;]*m//g' "$vitest_log" | grep -E '^ *(FAIL|×) ' | sed 's/^/[e2e-real] failed: /' | head -30 >&2 || true
  fi
  rm -f "$vitest_log"
  exit "$rc"
}

t_start=$SECONDS
timings=()
step() { # label command...: runs it, records its time, and returns its status
  local label=$1 t=$SECONDS rc=0
  shift
  say "$label"
  "$@" || rc=$?
  timings+=("$label $((SECONDS - t)) s")
  [ "$rc" = 0 ] || failed_steps+=("$label")
  return "$rc"
}
run_vitest() { inside pnpm exec vitest run --project e2e-real "$@" 2>&1 | tee "$vitest_log"; }

trap finish EXIT
step "node binaries" "$root/test/lab/scripts/build-node-bins.sh" >/dev/null
step "images" "$root/test/lab/scripts/build-images.sh" >/dev/null
sandbox_started=1
"$sandbox" start "$name" >/dev/null
step "lab up" inside pnpm -s lab up
step "lab install" inside pnpm -s lab install
# The pods check runs after vitest whatever vitest's outcome; finish() then fails the run if either failed.
step "vitest e2e-real" run_vitest "$@" || true
step "pods check" inside pnpm -s exec tsx --conditions=ironlb-source test/e2e-real/pods-check.ts || true
