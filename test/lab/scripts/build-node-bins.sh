#!/usr/bin/env bash
# Everything the real-node lab (IRONLB_LAB_MODE=real) adds: kubelet, kube-proxy and kube-scheduler built from the
# k8s.io/kubernetes Go module (same source tree and ldflags as build-k8s.sh), cached by version outside the
# repository, plus Debian's containerd, runc, CNI plugins, iptables/nftables and conntrack.
#
# Debian packages are installed only when missing, with a policy-rc.d that denies service starts (there is
# no systemd here, and the lab starts its own containerd per node with its own root, state and socket).
#
# Usage: build-node-bins.sh [version]   (prints the directory holding kubelet, kube-proxy and kube-scheduler)
# Builds run at the lowest CPU priority with one Go package at a time (the machine is shared).
set -euo pipefail

version="${1:-${IRONLB_K8S_VERSION:-v1.36.3}}"
cache_root="${IRONLB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}"
out="$cache_root/k8s/$version-node"
bins=(kubelet kube-proxy kube-scheduler)
say() { echo "build-node-bins: $*" >&2; }

# 1. Debian packages (command → package).
declare -A wanted=(
  [containerd]=containerd [runc]=runc [/usr/lib/cni/bridge]=containernetworking-plugins
  [iptables]=iptables [nft]=nftables [conntrack]=conntrack
)
missing=()
for cmd in "${!wanted[@]}"; do
  if [[ "$cmd" == /* ]]; then [ -x "$cmd" ] || missing+=("${wanted[$cmd]}")
  else command -v "$cmd" >/dev/null || missing+=("${wanted[$cmd]}"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1; fi
  nice -n 19 apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive nice -n 19 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  [ "$created_policy" = 1 ] && rm -f "$policy"
fi

# 2. kubelet, kube-proxy, kube-scheduler.
have_all() {
  for b in "${bins[@]}"; do [ -x "$out/$b" ] || return 1; done
}
if have_all; then echo "$out"; exit 0; fi

command -v go >/dev/null || { say "Go is required to build Kubernetes $version"; exit 1; }
export GOWORK=off GOFLAGS="-mod=mod -p=1" GOTOOLCHAIN=local
work="$cache_root/k8s-src/$version"
if [ ! -f "$work/.prepared" ]; then
  # build-k8s.sh prepares the source tree (module download, staging replaces); it also builds the
  # control-plane binaries, which the lab needs anyway.
  say "preparing the k8s.io/kubernetes $version source tree through build-k8s.sh"
  bash "$(dirname "${BASH_SOURCE[0]}")/build-k8s.sh" "$version" >/dev/null
fi

minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
mkdir -p "$out.tmp"
for b in "${bins[@]}"; do
  # Binaries of an earlier, shorter list are kept.
  if [ -x "$out/$b" ] && [ ! -e "$out.tmp/$b" ]; then cp "$out/$b" "$out.tmp/$b"; fi
  [ -x "$out.tmp/$b" ] && continue
  say "building $b $version (first run only; cached in $out)"
  start=$SECONDS
  (cd "$work" && CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "$ldflags" -o "$out.tmp/$b" "./cmd/$b")
  say "built $b in $((SECONDS - start)) s"
done
rm -rf "$out"; mv "$out.tmp" "$out"
echo "$out"
