{{/*
The frr sidecar of the speaker pod (bgp.enabled): zebra, bgpd and bfdd of FRR's default instance, in the
foreground, logging to stdout. The speaker renders /etc/frr/frr.conf and applies it over the vty sockets in
/var/run/frr (both emptyDir volumes shared with the speaker container).

Invariants:
- the daemons start with no configuration (-f /dev/null); a restarted sidecar then loads the speaker's last
  frr.conf with vtysh, as `vtysh -b` does at boot, so a restart of FRR alone changes nothing the router sees
  beyond the session (graceful restart keeps the router's routes meanwhile);
- when one daemon exits the container exits non-zero and the kubelet restarts it (no half-running FRR);
- SIGTERM stops bgpd and bfdd first, then zebra.

Why root with exactly NET_ADMIN, NET_RAW, NET_BIND_SERVICE and SYS_ADMIN: FRR's privilege code raises a fixed
set of capabilities into each daemon's permitted set at start and exits when one is missing
("privs_init: initial cap_set_proc failed"); FRR 8.4 asks for zebra NET_ADMIN NET_RAW SYS_ADMIN, bgpd
NET_BIND_SERVICE NET_ADMIN NET_RAW SYS_ADMIN, bfdd NET_BIND_SERVICE NET_RAW SYS_ADMIN (SYS_ADMIN serves its
netns VRF backend). The daemons run as root (-u root -g root) instead of dropping to user frr, so they need no
SETUID/SETGID/CHOWN, and their sockets belong to root: the speaker (UID 0 without DAC_OVERRIDE) can open them
as their owner. FRR refuses -u root unless root is in group frrvty: the image adds it (images/frr/Dockerfile).
*/}}
{{- define "ironlb.frrSidecar" -}}
{{- $bgp := .Values.bgp -}}
- name: frr
  image: {{ printf "%s:%s" $bgp.frrImage.repository $bgp.frrImage.tag | quote }}
  imagePullPolicy: {{ $bgp.frrImage.pullPolicy }}
  command: ["/bin/bash", "-c"]
  args:
    - |
      set -euo pipefail
      pids=()
      stop() {
        trap - TERM INT
        [ "${#pids[@]}" -gt 2 ] && kill -TERM "${pids[1]}" "${pids[2]}" 2>/dev/null && sleep 1
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait || true
        exit "$1"
      }
      trap 'stop 0' TERM INT
      waitfor() { for _ in $(seq 300); do [ -S "/var/run/frr/$1" ] && return 0; sleep 0.1; done; echo "frr: no /var/run/frr/$1" >&2; stop 1; }
      # vtysh (here, in the probes and in the speaker) reads vtysh.conf; an empty one keeps it quiet.
      [ -e /etc/frr/vtysh.conf ] || : >/etc/frr/vtysh.conf
      for d in zebra bgpd bfdd; do
        /usr/lib/frr/$d -u root -g root -F {{ $bgp.frrProfile }} -f /dev/null -P 0 \
          --log stdout --log-level {{ $bgp.frrLogLevel }} &
        pids+=($!)
        if [ "$d" = zebra ]; then waitfor zserv.api; fi
      done
      waitfor bgpd.vty
      waitfor bfdd.vty
      if [ -s /etc/frr/frr.conf ]; then vtysh -f /etc/frr/frr.conf || echo "frr: loading the last frr.conf failed" >&2; fi
      echo "frr: zebra, bgpd and bfdd running"
      wait -n || true
      echo "frr: a daemon exited" >&2
      stop 1
  # FRR answers on its vty sockets: a hung daemon fails the probe (vtysh waits for every daemon).
  startupProbe:
    exec:
      command: ["vtysh", "-c", "show version"]
    periodSeconds: 2
    timeoutSeconds: 5
    failureThreshold: 60
  livenessProbe:
    exec:
      command: ["vtysh", "-c", "show version"]
    periodSeconds: 10
    timeoutSeconds: 5
    failureThreshold: 6
  securityContext:
    # See the comment in templates/_frr-sidecar.tpl for why root and these four capabilities.
    runAsUser: 0
    runAsNonRoot: false
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: ["ALL"]
      add: ["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE", "SYS_ADMIN"]
    seccompProfile:
      type: RuntimeDefault
  {{- with $bgp.frrResources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: frr-config
      mountPath: /etc/frr
    - name: frr-run
      mountPath: /var/run/frr
    # FRR's crash logs and per-thread log buffers.
    - name: frr-tmp
      mountPath: /var/tmp/frr
{{- end }}
