#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl from the k8s.io/kubernetes Go module
# (through the Go module proxy) and caches them by version outside the repository.
#
# The k8s.io/kubernetes go.mod points every k8s.io/* staging module at ./staging/src/..., which is not
# part of the module zip, so we replace those directives with the published k8s.io/* v0.X.Y modules of
# the same release and build with -mod=mod.
#
# Usage: build-k8s.sh [version]   (prints the directory holding the binaries)
set -euo pipefail

version="${1:-${IRONLB_K8S_VERSION:-v1.36.3}}"
cache_root="${IRONLB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}"
out="$cache_root/k8s/$version"
bins=(kube-apiserver kube-controller-manager kubectl)

have_all() {
  for b in "${bins[@]}"; do [ -x "$out/$b" ] || return 1; done
}
if have_all; then echo "$out"; exit 0; fi

command -v go >/dev/null || { echo "build-k8s: Go is required to build Kubernetes $version" >&2; exit 1; }
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
staging_version="v0.${version#v1.}"

work="$cache_root/k8s-src/$version"
if [ ! -f "$work/.prepared" ]; then
  echo "build-k8s: downloading k8s.io/kubernetes@$version" >&2
  src=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { echo "build-k8s: module download failed" >&2; exit 1; }
  rm -rf "$work"; mkdir -p "$work"
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  rm -rf "$work/vendor"
  # Every "k8s.io/foo => ./staging/src/k8s.io/foo" becomes "k8s.io/foo => k8s.io/foo v0.X.Y".
  sed -i -E "s#^([[:space:]]*)(k8s\.io/[A-Za-z0-9._/-]+) => \./staging/src/k8s\.io/[A-Za-z0-9._/-]+#\1\2 => \2 $staging_version#" "$work/go.mod"
  if grep -q '\./staging' "$work/go.mod"; then
    echo "build-k8s: unexpected staging reference left in go.mod" >&2; exit 1
  fi
  (cd "$work" && go mod download >&2)
  touch "$work/.prepared"
fi

minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
mkdir -p "$out.tmp"
for b in "${bins[@]}"; do
  [ -x "$out.tmp/$b" ] && continue
  echo "build-k8s: building $b $version (first run only; cached in $out)" >&2
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out.tmp/$b" "./cmd/$b")
done
rm -rf "$out"; mv "$out.tmp" "$out"
echo "$out"
