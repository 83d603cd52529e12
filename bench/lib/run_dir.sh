# Sourced by the benchmark scripts: a scratch directory and the processes they start, both
# cleaned up when the script exits, and free loopback ports.
#
# bench_run_dir NAME: sets $tmp to a new /tmp/meshwasm-NAME.XXXXXX (mode 755: nginx workers
# running as nobody read files in it) and $pids to an empty list; on exit every pid in $pids
# is killed and $tmp removed.
bench_run_dir() {
  tmp=$(mktemp -d "/tmp/meshwasm-$1.XXXXXX")
  chmod 755 "$tmp"
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
# A loopback port nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
