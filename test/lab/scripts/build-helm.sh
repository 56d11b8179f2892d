#!/usr/bin/env bash
# Builds the helm v3 CLI from the helm.sh/helm/v3 Go module (through the Go module proxy) and caches it
# by version outside the repository. The chart tests (test/chart/chart.test.ts) and the lab use it.
#
# helm's go.mod has no replace directives, so a plain `go install module@version` works. The link flags
# are the ones helm's Makefile sets: the release version (for `helm version`) and the Kubernetes version
# of its client-go (the default .Capabilities.KubeVersion of `helm template` / `helm lint`; without it
# helm falls back to v1.20).
#
# Usage: build-helm.sh [version]   (prints the path of the helm binary)
set -euo pipefail

version="${1:-${IRONLB_HELM_VERSION:-v3.22.0}}"
cache_root="${IRONLB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}"
out="$cache_root/helm/$version"
if [ -x "$out/helm" ]; then echo "$out/helm"; exit 0; fi

command -v go >/dev/null || { echo "build-helm: Go is required to build helm $version" >&2; exit 1; }
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

echo "build-helm: building helm $version (first run only; cached in $out)" >&2
# client-go v0.X.Y <=> Kubernetes 1.X (same rule as helm's Makefile).
gomod=$(go mod download -json "helm.sh/helm/v3@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
client_go=$(sed -n -E 's/^[[:space:]]*k8s\.io\/client-go v0\.([0-9]+)\..*/\1/p' "$gomod" | head -n1)
[ -n "$client_go" ] || { echo "build-helm: cannot find k8s.io/client-go in $gomod" >&2; exit 1; }
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$client_go"
done

rm -rf "$out.tmp"; mkdir -p "$out.tmp"
GOBIN="$out.tmp" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$version" >&2
[ -x "$out.tmp/helm" ] || { echo "build-helm: go install produced no binary" >&2; exit 1; }
rm -rf "$out"; mv "$out.tmp" "$out"
echo "$out/helm"
