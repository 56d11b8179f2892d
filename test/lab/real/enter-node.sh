#!/bin/sh
# enter-node.sh CGROUP NETNS ANCHOR CMD...
# Runs CMD as a process of a real lab node: first moves itself into CGROUP (a path relative to each cgroup v1
# hierarchy root, created beforehand by the lab) in every hierarchy that has it, then executes CMD in the network
# namespace /run/netns/NETNS and, unless ANCHOR is "-", in the mount namespace of process ANCHOR (the node's
# anchor, see real-node.ts). The PID stays the same throughout (exec), so the lab records the right process.
set -eu
cg=$1 netns=$2 anchor=$3
shift 3
for h in /sys/fs/cgroup/*/; do
  if [ -f "$h${cg#/}/cgroup.procs" ]; then echo $$ >"$h${cg#/}/cgroup.procs"; fi
done
if [ "$anchor" = - ]; then exec nsenter --net="/run/netns/$netns" -- "$@"; fi
exec nsenter --mount="/proc/$anchor/ns/mnt" --net="/run/netns/$netns" -- "$@"
