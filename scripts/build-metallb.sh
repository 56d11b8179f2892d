#!/usr/bin/env bash
# Builds MetalLB's controller from the Go module go.universe.tf/metallb (through the Go module proxy, as
# published) for the side-by-side benchmark (bench/metallb-side-by-side.ts), and caches it by version
# outside the repository together with MetalLB's CRDs from the same module:
#
#   ~/.cache/ironlb/metallb/<version>/controller
#   ~/.cache/ironlb/metallb/<version>/crds/metallb.io_*.yaml
#
# v0.15.2 is the default because it builds as published. v0.16.2 requires github.com/metallb/frr-k8s
# v0.0.27, whose module zip the proxy refuses, so it only builds against a local stand-in of that API
# package; this script does not do that.
#
# Usage: build-metallb.sh [version]   (prints the directory holding the binary and the CRDs)
set -euo pipefail

version="${1:-${IRONLB_METALLB_VERSION:-v0.15.2}}"
cache_root="${IRONLB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}"
out="$cache_root/metallb/$version"

if [ -x "$out/controller" ] && [ -f "$out/crds/.complete" ]; then echo "$out"; exit 0; fi

command -v go >/dev/null || { echo "build-metallb: Go is required to build MetalLB $version" >&2; exit 1; }
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local

echo "build-metallb: downloading go.universe.tf/metallb@$version" >&2
src=$(go mod download -json "go.universe.tf/metallb@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src/config/crd/bases" ] || { echo "build-metallb: module download failed (no config/crd/bases in '$src')" >&2; exit 1; }

rm -rf "$out.tmp"
mkdir -p "$out.tmp/crds"
cp "$src"/config/crd/bases/metallb.io_*.yaml "$out.tmp/crds/"
chmod u+w "$out.tmp"/crds/*.yaml
touch "$out.tmp/crds/.complete"

# `go install pkg@version` builds with the module's own go.mod and go.sum (no replace directives in
# it), i.e. exactly the published dependency versions. Go builds are CPU heavy on a shared machine.
echo "build-metallb: building the controller $version (first run only; cached in $out)" >&2
GOBIN="$out.tmp" CGO_ENABLED=0 nice -n 10 go install -trimpath -ldflags "-s -w" "go.universe.tf/metallb/controller@$version"
[ -x "$out.tmp/controller" ] || { echo "build-metallb: go install left no controller binary" >&2; exit 1; }

rm -rf "$out"; mv "$out.tmp" "$out"
echo "$out"
