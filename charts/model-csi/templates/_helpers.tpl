{{/* Name of the chart, overridable. */}}
{{- define "model-csi.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every object name: the release name, with the chart name appended unless it is already in it. */}}
{{- define "model-csi.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "model-csi.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "model-csi.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "model-csi.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "model-csi.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (node or controller). Call with (dict "root" $ "component" "node"). */}}
{{- define "model-csi.selectorLabels" -}}
app.kubernetes.io/name: {{ include "model-csi.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "model-csi.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret holding registry credentials, or empty when there is none. */}}
{{- define "model-csi.registrySecret" -}}
{{- if .Values.registryCredentials.existingSecret -}}
{{- .Values.registryCredentials.existingSecret -}}
{{- else if .Values.registryCredentials.create -}}
{{- printf "%s-registry" (include "model-csi.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* "true" when the provisioner has to read a Secret (any chart StorageClass names one). */}}
{{- define "model-csi.provisionerReadsSecrets" -}}
{{- $needs := include "model-csi.registrySecret" . -}}
{{- range .Values.storageClasses -}}
{{- if .registrySecret -}}{{- $needs = "true" -}}{{- end -}}
{{- end -}}
{{- if $needs -}}true{{- end -}}
{{- end -}}

{{/* The socket directory kubelet and the registrar know the node plugin by. */}}
{{- define "model-csi.pluginDir" -}}
{{- printf "%s/plugins/%s" .Values.kubeletDir .Values.driverName -}}
{{- end -}}
