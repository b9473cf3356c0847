# shellcheck shell=bash
# Sourced by the tests/compat/*_compare.sh scripts: peers that resolve through glibc
# (/etc/resolv.conf, port 53 only) reach the DNS lab's resolver, which listens on a high
# port. A byte-for-byte UDP/TCP relay listens on RELAY_ADDR:53 and forwards to the lab's
# Unbound, and each peer runs in a private mount namespace (unshare -m) where
# /etc/resolv.conf is bind-mounted to "nameserver RELAY_ADDR". The system's resolv.conf is
# never touched. The relay passes the AD bit through.
#
# Needs: $work (a scratch directory), $RELAY_ADDR, and the dnslab.env variables sourced.
# shellcheck disable=SC2154 # those come from the sourcing script

relay_pid=

# start_lab_relay NAME: starts the relay and waits until the lab answers through it.
start_lab_relay() {
  local name=$1
  cat >"$work/relay.py" <<'EOF'
import socket, sys, threading
listen, up_host, up_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((listen, 53))
    def one(data, peer):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5)
        try:
            u.sendto(data, (up_host, up_port)); s.sendto(u.recv(65535), peer)
        except OSError: pass
        finally: u.close()
    while True:
        data, peer = s.recvfrom(65535)
        threading.Thread(target=one, args=(data, peer), daemon=True).start()
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((listen, 53)); s.listen(64)
    def pipe(a, b):
        try:
            while (d := a.recv(65535)): b.sendall(d)
        except OSError: pass
        finally:
            for x in (a, b):
                try: x.shutdown(socket.SHUT_RDWR)
                except OSError: pass
    while True:
        c, _ = s.accept()
        try: u = socket.create_connection((up_host, up_port), timeout=5)
        except OSError: c.close(); continue
        u.settimeout(None)
        threading.Thread(target=pipe, args=(c, u), daemon=True).start()
        threading.Thread(target=pipe, args=(u, c), daemon=True).start()
threading.Thread(target=tcp, daemon=True).start()
udp()
EOF
  python3 "$work/relay.py" "$RELAY_ADDR" "$DNSLAB_RESOLVER_HOST" "$DNSLAB_RESOLVER_PORT" \
    >"$work/relay.log" 2>&1 &
  relay_pid=$!
  printf 'nameserver %s\noptions edns0\n' "$RELAY_ADDR" >"$work/resolv.conf"
  for _ in $(seq 50); do
    dig +time=1 +tries=1 @"$RELAY_ADDR" "$DNSLAB_PARENT_ZONE" SOA >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$name: relay on $RELAY_ADDR:53 does not answer:" >&2
  cat "$work/relay.log" >&2
  exit 1
}

stop_lab_relay() {
  [[ -n $relay_pid ]] && kill "$relay_pid" 2>/dev/null
  relay_pid=
}

# Run a command whose glibc resolver (and dig's default server) is the lab's, via the relay.
in_lab() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount -- sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
    "$work/resolv.conf" "$@"
}

state() { case $1 in 0) echo OK ;; 1) echo WARNING ;; 2) echo CRITICAL ;; *) echo "UNKNOWN($1)" ;; esac; }
# The first line of a plugin's output without perfdata, cut at $ONELINE_WIDTH (default 260).
oneline() { head -n 1 | sed -e 's/ | .*//' -e 's/|.*//' | cut -c1-"${ONELINE_WIDTH:-260}"; }
