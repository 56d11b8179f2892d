#!/usr/bin/env bash
# Smoke test of the real-node lab (IRONLB_LAB_MODE=real), run in its own sandbox (sandbox.sh) so it never touches
# the shared lab: brings the lab up, runs one echo pod per node, checks that every pod gets Ready with an address
# from its node's pod subnet, that a NodePort Service answers from the client on every node with "<pod> <node>", and
# that `kubectl logs` works, and that a pod placed by the scheduler reaches the apiserver through the
# `kubernetes` Service; then brings everything down and checks that no process, cgroup or namespace is left.
#
# Usage (as root, from anywhere): test/lab/scripts/real-smoke.sh   Prerequisites: build-node-bins.sh, build-images.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
name=real-smoke
export IRONLB_LAB_DIR=/tmp/ironlb-lab-$name
cache_root="${IRONLB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}"
kubectl_bin="${IRONLB_K8S_BIN_DIR:-$cache_root/k8s/v1.36.3}/kubectl"
sandbox="$root/test/lab/scripts/sandbox.sh"
say() { printf '\033[1m[real-smoke]\033[0m %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
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
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
"
printf '%s\n' "$manifest" | k apply -f - >&2
start=$SECONDS
k wait --for=condition=Ready pod -l app=echo --timeout=180s >&2 || fail "echo pods not Ready"
say "echo pods Ready in $((SECONDS - start)) s"
k get pods -o wide >&2

for node in $nodes; do
  # ilb-node-N has 198.51.100.(192 + 16 (N - 1))/28 (test/lab/real/node-files.ts).
  base=$((192 + 16 * (${node##*-} - 1)))
  ip=$(k get pod "echo-$node" -o jsonpath='{.status.podIP}')
  last=${ip##*.}
  [ "${ip%.*}" = 198.51.100 ] && [ "$last" -gt "$base" ] && [ "$last" -lt $((base + 15)) ] ||
    fail "pod echo-$node has $ip, outside its node's subnet 198.51.100.$base/28"
done

port=$(k get svc echo -o jsonpath='{.spec.ports[0].nodePort}')
answered=""
for node in $nodes; do
  node_ip=$(k get node "$node" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}' | tr ' ' '\n' | grep -F . | head -1)
  for _ in 1 2 3 4 5 6; do
    body=$(in_sandbox ip netns exec ilb-client curl -sS -m 3 "http://$node_ip:$port/") || fail "NodePort on $node ($node_ip:$port) did not answer"
    [[ "$body" =~ ^echo-(ilb-node-[0-9]+)\ (ilb-node-[0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] ||
      fail "unexpected answer from $node: $body"
    answered+="${BASH_REMATCH[1]} "
  done
done
say "NodePort $port answered on every node; pods that answered: $(tr ' ' '\n' <<<"$answered" | sort -u | tr '\n' ' ')"

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
k logs api-check | grep -q '"gitVersion"' || fail "api-check got no /version"
say "a scheduled pod reached the apiserver through the kubernetes Service ($(k get pod api-check -o jsonpath='{.spec.nodeName}'))"
