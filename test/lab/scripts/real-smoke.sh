#!/usr/bin/env bash
# Smoke test of the real-node lab (IRONLB_LAB_MODE=real), run in its own sandbox (sandbox.sh) so it never touches
# the shared lab: brings the lab up (twice: the second `up` must start nothing), checks that every Node got an IPv4
# and an IPv6 pod CIDR from the controller-manager, runs one echo pod per node, checks that every pod gets Ready with
# an IPv4 and an IPv6 address inside its node's CIDRs, that pods reach each other across nodes over both families,
# that a dual-stack NodePort Service answers from the client on every node's IPv4 and IPv6 address with
# "<pod> <node>", that `kubectl logs` works, that a pod placed by the scheduler reaches the apiserver through the
# `kubernetes` Service, and that the sandbox's root namespace has no route to a pod; then brings everything down
# and checks that no process or cgroup is left.
#
# Usage (as root, from anywhere): test/lab/scripts/real-smoke.sh   Prerequisites: build-node-bins.sh, build-images.sh.
# IRONLB_SMOKE_NAME (default real-smoke) names the sandbox and the lab directory /tmp/ironlb-lab-<name>.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
name=${IRONLB_SMOKE_NAME:-real-smoke}
export IRONLB_LAB_DIR=/tmp/ironlb-lab-$name
cache_root="${IRONLB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}"
kubectl_bin="${IRONLB_K8S_BIN_DIR:-$cache_root/k8s/v1.36.3}/kubectl"
sandbox="$root/test/lab/scripts/sandbox.sh"
say() { printf '\033[1m[real-smoke]\033[0m %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
# in_net ADDRESS PREFIX: whether ADDRESS lies inside PREFIX (IPv4 or IPv6).
in_net() {
  python3 -c 'import ipaddress, sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' "$1" "$2"
}
in_sandbox() { (cd "$root" && "$sandbox" exec "$name" "$@"); }
k() { in_sandbox env KUBECONFIG="$IRONLB_LAB_DIR/kubeconfig" "$kubectl_bin" "$@"; }
lab() { in_sandbox env IRONLB_LAB_MODE=real scripts/toolchain.sh pnpm -s lab "$@"; }

finish() {
  local rc=$?
  say "bringing the lab down"
  lab down >&2 || rc=1
  "$sandbox" stop "$name" || rc=1
  if [ -e "/sys/fs/cgroup/pids/$(basename "$IRONLB_LAB_DIR")" ]; then say "FAIL: cgroups left behind"; rc=1; fi
  if pgrep -f "$IRONLB_LAB_DIR/" >/dev/null; then say "FAIL: processes left behind: $(pgrep -f "$IRONLB_LAB_DIR/" | tr '\n' ' ')"; rc=1; fi
  [ "$rc" = 0 ] && say "PASS" || say "FAILED"
  exit "$rc"
}

"$sandbox" start "$name" >/dev/null
trap finish EXIT
start=$SECONDS
lab up >&2
say "lab up in $((SECONDS - start)) s"
again=$(lab up 2>&1) || fail "second lab up failed: $again"
if grep -q '^started ' <<<"$again"; then fail "second lab up started something: $(grep '^started ' <<<"$again")"; fi
say "second lab up started nothing"

# Node CIDRs come from the controller-manager's node IPAM controller (test/lab/real/node-files.ts POD_CLUSTER_CIDRS).
declare -A cidr4 cidr6
for node in $(k get nodes -o jsonpath='{.items[*].metadata.name}'); do
  cidrs=$(k get node "$node" -o jsonpath='{.spec.podCIDRs[*]}')
  read -r v4 v6 rest <<<"$cidrs"
  [ -z "${rest:-}" ] && [[ "$v4" == */28 ]] && [[ "$v6" == */64 ]] && in_net "${v4%/*}" 198.51.100.192/26 &&
    in_net "${v6%/*}" 2001:db8:42::/56 || fail "node $node has spec.podCIDRs '$cidrs'"
  [ "$(k get node "$node" -o jsonpath='{.spec.podCIDR}')" = "$v4" ] || fail "node $node: spec.podCIDR is not $v4"
  cidr4[$node]=$v4 cidr6[$node]=$v6
  say "$node: spec.podCIDRs $v4 $v6"
done
[ "$(printf '%s\n' "${cidr4[@]}" | sort -u | wc -l)" = "${#cidr4[@]}" ] || fail "nodes share an IPv4 pod CIDR"

echo_image=$(awk -F'\t' '$1 == "echo" { print $2 }' "$cache_root/images/images.tsv")
nodes=$(k get nodes -o jsonpath='{.items[*].metadata.name}')
[ -n "$nodes" ] || fail "no nodes"
manifest=""
for node in $nodes; do
  manifest+="
apiVersion: v1
kind: Pod
metadata: {name: echo-$node, labels: {app: echo}}
spec:
  nodeName: $node
  containers:
  - name: echo
    image: $echo_image
    imagePullPolicy: Never
    ports: [{containerPort: 8080}]
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 2}
    resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 64Mi}}
---"
done
manifest+="
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  type: NodePort
  ipFamilyPolicy: RequireDualStack
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
"
printf '%s\n' "$manifest" | k apply -f - >&2
start=$SECONDS
k wait --for=condition=Ready pod -l app=echo --timeout=180s >&2 || fail "echo pods not Ready"
say "echo pods Ready in $((SECONDS - start)) s"
k get pods -o wide >&2

declare -A pod4 pod6
for node in $nodes; do
  # The kubelet lists the family of the node's first --node-ip (IPv6 in the lab) first.
  ips=$(k get pod "echo-$node" -o jsonpath='{.status.podIPs[*].ip}')
  v4=$(tr ' ' '\n' <<<"$ips" | grep -F . || true) v6=$(tr ' ' '\n' <<<"$ips" | grep -F : || true)
  [ "$(wc -w <<<"$ips")" = 2 ] && [ -n "$v4" ] && [ -n "$v6" ] && in_net "$v4" "${cidr4[$node]}" && in_net "$v6" "${cidr6[$node]}" ||
    fail "pod echo-$node has '$ips', not one address in each of ${cidr4[$node]} and ${cidr6[$node]}"
  pod4[$node]=$v4 pod6[$node]=$v6
  say "echo-$node: $v4 $v6"
done

# Pod to pod across nodes, both families: each echo pod fetches every other node's echo pod by IPv4 and by IPv6.
fetch='(async () => { for (const u of process.argv.slice(1)) { const r = await fetch(u, { signal: AbortSignal.timeout(5000) });'
fetch+=' console.log(u, (await r.text()).trim()); } })().catch((e) => { console.error(e); process.exit(1); })'
for node in $nodes; do
  urls=()
  for other in $nodes; do
    [ "$other" = "$node" ] || urls+=("http://${pod4[$other]}:8080/" "http://[${pod6[$other]}]:8080/")
  done
  out=$(k exec "echo-$node" -- node -e "$fetch" "${urls[@]}" 2>&1) || fail "echo-$node could not reach the other pods: $out"
  for other in $nodes; do
    [ "$other" = "$node" ] && continue
    for url in "http://${pod4[$other]}:8080/" "http://[${pod6[$other]}]:8080/"; do
      grep -qxF "$url echo-$other $other" <<<"$out" || fail "echo-$node fetching $url: $out"
    done
  done
done
say "every echo pod reached the other nodes' pods over IPv4 and IPv6"

# The root namespace's 2001:db8::1 (the apiserver) has no route back to pods: nodes refuse to forward pod traffic to it.
refuse='fetch("https://[2001:db8::1]:26443/version", { signal: AbortSignal.timeout(5000) })'
refuse+='.then(() => process.exit(1), (e) => { console.log(e.cause?.code ?? e.name); })'
code=$(k exec "echo-${nodes%% *}" -- node -e "$refuse" 2>&1) || fail "a pod reached 2001:db8::1: $code"
[ "$code" = EACCES ] || fail "a pod's connection to 2001:db8::1 ended with '$code', not EACCES (administratively prohibited)"
say "pods cannot send to the root namespace's 2001:db8::1 ($code)"

port=$(k get svc echo -o jsonpath='{.spec.ports[0].nodePort}')
answered=""
for node in $nodes; do
  for node_ip in $(k get node "$node" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}'); do
    host=$node_ip
    [[ "$node_ip" == *:* ]] && host="[$node_ip]"
    for _ in 1 2 3 4 5 6; do
      body=$(in_sandbox ip netns exec ilb-client curl -sS -m 3 "http://$host:$port/") || fail "NodePort on $node ($host:$port) did not answer"
      [[ "$body" =~ ^echo-(ilb-node-[0-9]+)\ (ilb-node-[0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] ||
        fail "unexpected answer from $node ($host): $body"
      answered+="${BASH_REMATCH[1]} "
    done
  done
done
say "NodePort $port answered on every node's IPv4 and IPv6 address; pods that answered: $(tr ' ' '\n' <<<"$answered" | sort -u | tr '\n' ' ')"

first=${nodes%% *}
k logs "echo-$first" | grep -q "listening on 8080" || fail "kubectl logs echo-$first has no start line"
say "kubectl logs works"

# In-cluster apiserver access (the kubernetes Service → api-relay) from a pod the scheduler places.
sa=/var/run/secrets/kubernetes.io/serviceaccount
script="fetch('https://' + process.env.KUBERNETES_SERVICE_HOST + ':' + process.env.KUBERNETES_SERVICE_PORT + '/version',"
script+=" { headers: { authorization: 'Bearer ' + require('fs').readFileSync('$sa/token', 'utf8') } })"
script+=".then((r) => r.text()).then(console.log, (e) => { console.error(e); process.exit(1); })"
k apply -f - >&2 <<EOF
apiVersion: v1
kind: Pod
metadata: {name: api-check}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: $echo_image
    imagePullPolicy: Never
    env: [{name: NODE_EXTRA_CA_CERTS, value: $sa/ca.crt}]
    command: [node, -e, "$script"]
EOF
k wait --for=jsonpath='{.status.phase}'=Succeeded pod/api-check --timeout=120s >&2 ||
  fail "api-check pod did not succeed: $(k logs api-check 2>&1 | tail -3)"
api_out=$(k logs api-check 2>&1) || fail "kubectl logs api-check: $api_out"
grep -q '"gitVersion"' <<<"$api_out" || fail "api-check got no /version: $api_out"
say "a scheduled pod reached the apiserver through the kubernetes Service ($(k get pod api-check -o jsonpath='{.spec.nodeName}'))"

# Pod routes exist only inside the lab's namespaces: the sandbox's root namespace has none.
leaked=$(in_sandbox sh -c 'ip -4 route show root 198.51.100.192/26; ip -6 route show root 2001:db8:42::/56')
[ -z "$leaked" ] || fail "routes to pods in the (sandbox) root namespace: $leaked"
say "no route to a pod outside the lab namespaces"
