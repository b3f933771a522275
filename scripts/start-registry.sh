#!/usr/bin/env bash
# Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 with its own config and storage in DIR.
# Usage: start-registry.sh DIR  -> prints the port; the pid is in DIR/registry.pid.
set -euo pipefail
dir="$1"
mkdir -p "$dir/data"
# A free port of our own: the Debian package may already run a registry on :5000.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
  || shuf -i 20000-60000 -n 1)
cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
echo $! > "$dir/registry.pid"
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then echo "$port"; exit 0; fi
  sleep 0.1
done
echo "registry did not start; log:" >&2; cat "$dir/registry.log" >&2; exit 1
