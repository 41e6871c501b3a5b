#!/bin/bash
# Container health check of the ptune images (HEALTHCHECK), with nothing but bash: no
# curl or gRPC client in a runtime image.
#   ptune-healthcheck METRICS_PORT METRIC [GRPC_PORT]
# Healthy when http://127.0.0.1:METRICS_PORT/metrics answers and exports METRIC, and,
# given GRPC_PORT, the gRPC port accepts connections. (Kubernetes uses the scheduler's
# native gRPC health service instead: deploy/k8s/base/scheduler.yaml.)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: ptune-healthcheck METRICS_PORT METRIC [GRPC_PORT]" >&2; exit 2; }
exec 3<>"/dev/tcp/127.0.0.1/$1"
printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
grep -q "^$2" <&3 || { echo "/metrics on port $1 does not export $2" >&2; exit 1; }
exec 3<&-
if [ $# -ge 3 ]; then
  exec 4<>"/dev/tcp/127.0.0.1/$3"
fi
