{{/* ------------------------------------------------------------------------------
     Names and labels
     ------------------------------------------------------------------------------ */}}
{{- define "statushawk.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 42 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-statushawk, at most 42 characters so "-postgresql-hl" etc. stay within 63. */}}
{{- define "statushawk.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 42 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "statushawk.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* (dict "ctx" $ "component" "api") */}}
{{- define "statushawk.selectorLabels" -}}
app.kubernetes.io/name: {{ include "statushawk.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "statushawk.labels" -}}
{{ include "statushawk.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Values.image.tag | default .ctx.Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/part-of: statushawk
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ include "statushawk.chart" .ctx }}
{{- end -}}

{{- define "statushawk.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "statushawk.secretName" -}}
{{- .Values.existingSecret | default (include "statushawk.fullname" .) -}}
{{- end -}}

{{- define "statushawk.postgresql.host" -}}
{{- printf "%s-postgresql" (include "statushawk.fullname" .) -}}
{{- end -}}

{{- define "statushawk.redis.host" -}}
{{- printf "%s-redis" (include "statushawk.fullname" .) -}}
{{- end -}}

{{/* ------------------------------------------------------------------------------
     Configuration the chart computes (ConfigMap keys besides .Values.config), as a
     YAML map of strings. Also given to the migration Job, which runs before the
     ConfigMap exists.
     ------------------------------------------------------------------------------ */}}
{{- define "statushawk.computedConfig" -}}
STATUSHAWK_LISTEN: {{ printf "0.0.0.0:%v" .Values.api.port | quote }}
RUNNER_HTTP_LISTEN: {{ printf "0.0.0.0:%v" .Values.runner.port | quote }}
NOTIFIER_HTTP_LISTEN: {{ printf "0.0.0.0:%v" .Values.notifier.port | quote }}
{{- if .Values.postgresql.enabled }}
DB_HOST: {{ include "statushawk.postgresql.host" . | quote }}
DB_PORT: "5432"
DB_NAME: {{ .Values.postgresql.auth.database | quote }}
DB_USER: {{ .Values.postgresql.auth.username | quote }}
{{- else }}
DB_HOST: ""
DB_PORT: ""
DB_NAME: ""
DB_USER: ""
{{- end }}
{{- if eq (toString .Values.config.STATUSHAWK_TRUST_PROXY) "" }}
STATUSHAWK_TRUST_PROXY: {{ ternary "true" "false" .Values.ingress.enabled | quote }}
{{- end }}
{{- end -}}

{{/* The database and Redis part of the Secret (chart-managed secrets only). */}}
{{- define "statushawk.connectionSecrets" -}}
{{- if .Values.postgresql.enabled }}
DATABASE_URL: ""
DB_PASSWORD: {{ required "postgresql.auth.password is required with the bundled PostgreSQL (or set existingSecret)" .Values.postgresql.auth.password | quote }}
{{- else }}
DATABASE_URL: {{ required "externalDatabase.url is required when postgresql.enabled=false (or set existingSecret)" .Values.externalDatabase.url | quote }}
DB_PASSWORD: ""
{{- end }}
{{- if .Values.redis.enabled }}
{{- if .Values.redis.auth.enabled }}
{{- $pw := required "redis.auth.password is required when redis.auth.enabled (or set existingSecret)" .Values.redis.auth.password }}
REDIS_URL: {{ printf "redis://:%s@%s:6379/0" $pw (include "statushawk.redis.host" .) | quote }}
REDIS_PASSWORD: {{ $pw | quote }}
{{- else }}
REDIS_URL: {{ printf "redis://%s:6379/0" (include "statushawk.redis.host" .) | quote }}
{{- end }}
{{- else }}
REDIS_URL: {{ required "externalRedis.url is required when redis.enabled=false (or set existingSecret)" .Values.externalRedis.url | quote }}
{{- end }}
CELERY_BROKER_URL: ""
{{- end -}}

{{/* Hook phases of the migration Job (see values.yaml, migrations). */}}
{{- define "statushawk.migrationHook" -}}
{{- if .Values.postgresql.enabled -}}
post-install,pre-upgrade
{{- else -}}
pre-install,pre-upgrade
{{- end -}}
{{- end -}}

{{/* ------------------------------------------------------------------------------
     Pod parts shared by the api, runner, notifier and the Jobs
     ------------------------------------------------------------------------------ */}}
{{/* (dict "ctx" $ "component" "runner") */}}
{{- define "statushawk.podCommon" -}}
{{- $v := .ctx.Values -}}
automountServiceAccountToken: false
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- $psc := deepCopy $v.podSecurityContext }}
{{- if and (eq .component "runner") $v.runner.icmpPing }}
{{- /* ICMP checks: unprivileged datagram ICMP sockets for every group of the pod. */}}
{{- $_ := set $psc "sysctls" (list (dict "name" "net.ipv4.ping_group_range" "value" "0 2147483647")) }}
{{- end }}
securityContext:
  {{- toYaml $psc | nindent 2 }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Container fields every StatusHawk container has (the image, its security context and
     a writable /tmp on the read-only root filesystem). */}}
{{- define "statushawk.containerCommon" -}}
image: {{ include "statushawk.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end -}}

{{- define "statushawk.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "statushawk.fullname" . }}
  - secretRef:
      name: {{ include "statushawk.secretName" . }}
{{- end -}}

{{/* (dict "ctx" $ "port" 8000): pod annotations: config/secret checksums (so pods roll
     when either changes) and Prometheus scrape hints. */}}
{{- define "statushawk.podAnnotations" -}}
checksum/config: {{ include (print .ctx.Template.BasePath "/configmap.yaml") .ctx | sha256sum }}
{{- if not .ctx.Values.existingSecret }}
checksum/secret: {{ include (print .ctx.Template.BasePath "/secret.yaml") .ctx | sha256sum }}
{{- end }}
{{- if .ctx.Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- with .ctx.Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* (dict "ctx" $ "port" "http"): liveness on /health, readiness on /ready. */}}
{{- define "statushawk.probes" -}}
livenessProbe:
  httpGet:
    path: /health
    port: {{ .port }}
  initialDelaySeconds: 5
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /ready
    port: {{ .port }}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* With the bundled PostgreSQL, app pods apply the migrations themselves before they
     start (idempotent; a concurrent run waits on the advisory lock), because on the
     first install the migration Job can only run after the database exists. */}}
{{- define "statushawk.initContainers" -}}
initContainers:
  - name: migrate
    {{- include "statushawk.containerCommon" . | nindent 4 }}
    args: ["statushawk-api", "migrate"]
    {{- include "statushawk.envFrom" . | nindent 4 }}
    resources:
      {{- toYaml .Values.migrations.resources | nindent 6 }}
{{- end -}}

{{- define "statushawk.tmpVolume" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end -}}
