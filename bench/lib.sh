# Shared by the bench/*/run.sh scripts (sourced): logging, the servers they
# start, and waiting for a port.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# The PIDs of the servers a script started; stop_pids ends them: SIGTERM,
# up to 10 s, then SIGKILL.
pids=()
stop_pids() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

wait_port() {  # wait_port PORT: until 127.0.0.1:PORT accepts (20 s at most)
  for _ in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1).close()" "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}
