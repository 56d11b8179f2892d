{{/* Chart name, truncated to 63 characters (DNS label limit). */}}
{{- define "ironlb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name; component suffixes are added by callers, so keep room for them. */}}
{{- define "ironlb.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ironlb.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "ironlb.labels" -}}
helm.sh/chart: {{ include "ironlb.chart" . }}
app.kubernetes.io/name: {{ include "ironlb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ironlb
{{- end }}

{{/* Selector labels of one component; call with (dict "ctx" $ "component" "controller"). They never change
     across upgrades, because a Deployment's or DaemonSet's selector is immutable. */}}
{{- define "ironlb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ironlb.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ironlb.componentLabels" -}}
{{ include "ironlb.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ironlb.controller.fullname" -}}
{{- printf "%s-controller" (include "ironlb.fullname" .) }}
{{- end }}

{{- define "ironlb.speaker.fullname" -}}
{{- printf "%s-speaker" (include "ironlb.fullname" .) }}
{{- end }}

{{/* The Secret holding the speakers' shared membership (HMAC) key, key "secretKey". */}}
{{- define "ironlb.membershipSecretName" -}}
{{- default (printf "%s-membership" (include "ironlb.fullname" .)) .Values.speaker.membership.existingSecret }}
{{- end }}

{{- define "ironlb.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "ironlb.logLevel" -}}
{{- default .root.Values.logLevel .component.logLevel }}
{{- end }}

{{/* A Kubernetes memory quantity ("256Mi", "1Gi", "500M", "268435456", "0.5Gi") in MiB, as a float; 0 when
     empty. Call with the quantity. */}}
{{- define "ironlb.quantityMiB" -}}
{{- $q := toString . | trim }}
{{- $units := list (list "Ki" 0.0009765625) (list "Mi" 1.0) (list "Gi" 1024.0) (list "Ti" 1048576.0) (list "k" 0.00095367431640625) (list "M" 0.95367431640625) (list "G" 953.67431640625) (list "T" 953674.31640625) }}
{{- $mib := 0.0 }}
{{- $matched := false }}
{{- range $units }}
{{- if and (not $matched) (hasSuffix (index . 0) $q) }}
{{- $mib = mulf (float64 (trimSuffix (index . 0) $q)) (index . 1) }}
{{- $matched = true }}
{{- end }}
{{- end }}
{{- if and (not $matched) (ne $q "") }}
{{- if not (regexMatch "^[0-9]+(\\.[0-9]+)?$" $q) }}
{{- fail (printf "memory limit %q: not a quantity this chart understands (use e.g. 256Mi or 1Gi)" $q) }}
{{- end }}
{{- $mib = divf (float64 $q) 1048576.0 }}
{{- end }}
{{- $mib }}
{{- end }}

{{/* NODE_OPTIONS for a component's container: V8 sized for its memory limit (old space 65 % of
     resources.limits.memory, the rest is left to node itself, code, the young generation and buffers;
     semi-space 1 MiB, so the young generation stays small instead of growing with garbage). Without a memory
     limit only the semi-space cap. A string in <component>.nodeOptions replaces it ("" sets nothing).
     <component>.v8Flags are not part of it: Node refuses most V8 flags in NODE_OPTIONS (e.g.
     "--optimize-for-size is not allowed in NODE_OPTIONS"), so they go on node's command line (ironlb.v8Args).
     Call with the component's values (.Values.speaker / .Values.controller). */}}
{{- define "ironlb.nodeOptions" -}}
{{- if kindIs "string" .nodeOptions }}
{{- .nodeOptions }}
{{- else }}
{{- $limit := "" }}
{{- with .resources }}{{- with .limits }}{{- $limit = toString (default "" .memory) }}{{- end }}{{- end }}
{{- $mib := float64 (include "ironlb.quantityMiB" $limit) }}
{{- if gt $mib 0.0 }}
{{- $old := int (floor (divf (mulf $mib 65.0) 100.0)) }}
{{- if lt $old 16 }}
{{- fail (printf "memory limit %s leaves %d MiB of V8 old space (65 %%); give at least 25Mi, or set nodeOptions" $limit $old) }}
{{- end }}
{{- printf "--max-old-space-size=%d --max-semi-space-size=1" $old }}
{{- else }}
{{- "--max-semi-space-size=1" }}
{{- end }}
{{- end }}
{{- end }}

{{/* node's own flags before the program in a container's args (ENTRYPOINT is node): <component>.v8Flags, a
     space-separated string (null or "": none). Renders list items at the args' indentation (12). */}}
{{- define "ironlb.v8Args" -}}
{{- range compact (splitList " " (toString (default "" .v8Flags))) }}
- {{ . | quote }}
{{- end }}
{{- end }}
