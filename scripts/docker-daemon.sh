#!/usr/bin/env bash
# A private Docker daemon for CI and local image work, that touches nothing outside DIR:
# its own data root, exec root, pid file and socket, no iptables, no bridge (containers
# use host networking and talk over 127.0.0.1 only).
#
#   scripts/docker-daemon.sh start DIR   start dockerd, wait until it answers; prints
#                                        DOCKER_HOST=unix://DIR/sock
#   scripts/docker-daemon.sh stop DIR    stop that dockerd by its PID, wait, unmount what
#                                        it left under DIR, remove DIR
#
# Uses Debian's docker.io (/usr/sbin/dockerd, /usr/bin/docker): another docker CLI may
# come first on PATH.
set -euo pipefail

dockerd=${PTUNE_DOCKERD:-/usr/sbin/dockerd}
docker=${PTUNE_DOCKER:-/usr/bin/docker}

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

start() {
  local dir=$1
  [ -x "$dockerd" ] || { echo "docker-daemon: $dockerd not found (apt-get install docker.io)" >&2; exit 1; }
  mkdir -p "$dir/data" "$dir/exec"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "DOCKER_HOST=unix://$dir/sock"
    return
  fi
  "$dockerd" --storage-driver=overlay2 --iptables=false --ip-masq=false --bridge=none \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
    -H "unix://$dir/sock" >"$dir/dockerd.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/started-pid"
  for _ in $(seq 1 150); do
    if DOCKER_HOST="unix://$dir/sock" "$docker" version >/dev/null 2>&1; then
      echo "DOCKER_HOST=unix://$dir/sock"
      return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "docker-daemon: dockerd exited; its log:" >&2
      tail -n 20 "$dir/dockerd.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "docker-daemon: dockerd did not answer on $dir/sock within 30 s" >&2
  stop "$dir"
  exit 1
}

stop() {
  local dir=$1 pid=""
  [ -f "$dir/started-pid" ] && pid=$(cat "$dir/started-pid")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "docker-daemon: dockerd $pid ignored SIGTERM for 30 s; killing it" >&2
      kill -KILL "$pid"
    fi
  fi
  # dockerd leaves the default network namespace (and, after a crash, overlay mounts)
  # mounted under its roots; unmount deepest first.
  if [ -d "$dir" ]; then
    local dir_real
    dir_real=$(realpath "$dir")
    awk -v d="$dir_real/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r |
      while read -r mount; do umount "$mount" 2>/dev/null || umount -l "$mount"; done
    rm -rf "$dir"
  fi
}

[ $# -eq 2 ] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
