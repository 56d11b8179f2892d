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
