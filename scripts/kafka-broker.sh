#!/usr/bin/env bash
# A Kafka-protocol broker on loopback for the Kafka transport's tests: tansu.
#
#   scripts/kafka-broker.sh install                 build tansu into .tools/tansu (skipped when present)
#   scripts/kafka-broker.sh start PORT [STORAGE]    start a broker on 127.0.0.1:PORT, wait until it accepts connections
#   scripts/kafka-broker.sh stop PORT               stop the broker started on PORT
#   scripts/kafka-broker.sh path                    print the tansu binary's path
#
# STORAGE defaults to memory://tansu/ (tansu's in-memory "dynostore"). Data is
# lost when the broker stops, which is what tests want. tansu 0.6.0 answers a
# fetch from an offset in the middle of a stored record batch with the batches
# that *follow* it, so a consumer resuming there would skip the rest of that
# batch. Producers pointed at this broker must therefore write one record per
# batch: set `"batch.num.messages" = "1"` in `[bus.kafka.properties]`. Every
# offset is then the start of a batch and every resume point is exact. Apache
# Kafka does not need this setting.
#
# Environment: VEILLE_TANSU overrides the binary; VEILLE_TOOLS_CACHE (default
# ~/.cache/veille-tools) keeps the build across checkouts; TANSU_RUN_DIR (default
# .tools/tansu/run) holds each broker's pid file and log.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
tansu_version="0.6.0"
tansu_root="$repo/.tools/tansu"
cache_root="${VEILLE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/veille-tools}"
tansu="${VEILLE_TANSU:-$tansu_root/bin/tansu}"
run_dir="${TANSU_RUN_DIR:-$tansu_root/run}"

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

install_tansu() {
    if [[ -x "$tansu" ]]; then
        echo "tansu already installed: $tansu"
        return
    fi
    # The build is kept in a per-user cache outside the checkout, so a fresh clone on the same
    # machine (another working copy, a CI run) links it instead of building it again.
    local cached="$cache_root/tansu-$tansu_version"
    if [[ ! -x "$cached/bin/tansu" ]]; then
        echo "building tansu $tansu_version into $cached (about 9 minutes on 2 cores)"
        cargo install tansu --version "$tansu_version" --locked --features dynostore --root "$cached"
    fi
    mkdir -p "$tansu_root/bin"
    ln -sf "$cached/bin/tansu" "$tansu_root/bin/tansu"
    echo "tansu installed: $tansu -> $cached/bin/tansu"
}

accepting() {
    # A TCP connection succeeds once the broker listens.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_broker() {
    local port="$1" storage="${2:-memory://tansu/}"
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "port must be a number, got '$port'" >&2; exit 2; }
    [[ -x "$tansu" ]] || { echo "tansu not installed at $tansu: run '$0 install'" >&2; exit 1; }
    if accepting "$port"; then
        echo "port $port is already in use" >&2
        exit 1
    fi
    mkdir -p "$run_dir"
    local log="$run_dir/tansu-$port.log" pidfile="$run_dir/tansu-$port.pid"
    "$tansu" broker \
        --cluster-id "veille-test-$port" \
        --listener-url "tcp://127.0.0.1:$port" \
        --advertised-listener-url "tcp://127.0.0.1:$port" \
        --storage-engine "$storage" \
        </dev/null >"$log" 2>&1 &
    local pid=$!
    echo "$pid" >"$pidfile"
    for _ in $(seq 1 300); do
        if accepting "$port"; then
            echo "tansu accepting connections on 127.0.0.1:$port (pid $pid, storage $storage, log $log)"
            return
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "tansu exited before accepting connections; its log:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "tansu did not accept connections on 127.0.0.1:$port within 30 s" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
}

stop_broker() {
    local port="$1" pidfile="$run_dir/tansu-$1.pid"
    if [[ ! -f "$pidfile" ]]; then
        echo "no broker started on port $port" >&2
        exit 1
    fi
    local pid
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$pidfile"
    echo "tansu on port $port stopped"
}

case "${1:-}" in
    install) install_tansu ;;
    start) [[ $# -ge 2 ]] || usage; start_broker "$2" "${3:-}" ;;
    stop) [[ $# -ge 2 ]] || usage; stop_broker "$2" ;;
    path) echo "$tansu" ;;
    *) usage ;;
esac
