#!/usr/bin/env bash
# `make bench-cluster`: 100,000 subscribed connections over several `paybell realtime` nodes
# sharing one Redis, from several load-generator processes (issue #17). One process may hold
# at most ~20,000 sockets here (open-file hard limit), so the connections are spread over
# ceil(connections / per-process) nodes and as many load-generator processes. Three phases
# (see `paybell-loadgen cluster --help`): idle (held 60 s, none dropped, the nodes' RSS per
# connection), fan-out to all (trigger → first and → last receipt, nothing missing), steady
# (an event per second to 1,000 channels of 100 subscribers for 60 s, every delivery, p99).
#
# Everything runs on 127.0.0.1 (client sockets spread over 127.0.0.1..127.0.0.8), is bounded
# in count and time, and stops by itself. Sizes adapt only where the machine allows less
# (open-file hard limit, memory), and the summary says so. Results go to
# target/bench-cluster/<UTC time>/. Variables:
#   BENCH_CLUSTER_CONNECTIONS (100000), BENCH_CLUSTER_PER_PROCESS (17000),
#   BENCH_CLUSTER_HOLD_SECS (60), BENCH_CLUSTER_FANOUT_RUNS (5), BENCH_CLUSTER_CHANNELS (1000),
#   BENCH_CLUSTER_STEADY_SECS (60), BENCH_CLUSTER_MAX_NODES (16), PAYBELL_BIN (a prebuilt
#   server). Needs Redis at 127.0.0.1:6379; it uses a fresh key prefix and removes it after.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${BENCH_CLUSTER_CONNECTIONS:-100000}
PER_PROCESS=${BENCH_CLUSTER_PER_PROCESS:-17000}
HOLD_SECS=${BENCH_CLUSTER_HOLD_SECS:-60}
FANOUT_RUNS=${BENCH_CLUSTER_FANOUT_RUNS:-5}
CHANNELS=${BENCH_CLUSTER_CHANNELS:-1000}
STEADY_SECS=${BENCH_CLUSTER_STEADY_SECS:-60}
MAX_NODES=${BENCH_CLUSTER_MAX_NODES:-16}
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
NOTES=()

if ! redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "bench-cluster: no Redis at $REDIS_HOST:$REDIS_PORT" >&2
    exit 1
fi

# Every node and load-generator process holds one socket per connection: as many as the
# hard limit allows, less what a node keeps back (a tenth, 64..1024) and a margin.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
RESERVE=$((NOFILE / 10))
RESERVE=$((RESERVE < 64 ? 64 : RESERVE > 1024 ? 1024 : RESERVE))
CAP=$((NOFILE - RESERVE - 100))
PER=$((PER_PROCESS < CAP ? PER_PROCESS : CAP))
if [ "$PER" -lt 100 ]; then
    echo "bench-cluster: open-file limit $NOFILE is too low" >&2
    exit 1
fi
if [ $(((CONNECTIONS + PER - 1) / PER)) -gt "$MAX_NODES" ]; then
    NOTES+=("connections: $CONNECTIONS asked, $((MAX_NODES * PER)) run ($MAX_NODES nodes of $PER at most: open-file limit $NOFILE)")
    CONNECTIONS=$((MAX_NODES * PER))
fi
# About 4 KB per connection in a node, 6 KB in a load generator, 2 KB in Redis; half the
# available memory at most, for the machine is shared.
AVAILABLE_KB=$(awk '/MemAvailable:/{print $2}' /proc/meminfo)
FITS=$((AVAILABLE_KB / 2 / 12))
if [ "$CONNECTIONS" -gt "$FITS" ]; then
    NOTES+=("connections: $CONNECTIONS asked, $FITS run (memory: $((AVAILABLE_KB / 1024)) MiB available)")
    CONNECTIONS=$FITS
fi
if [ $((CHANNELS * 100)) -gt "$CONNECTIONS" ]; then
    NOTES+=("steady: $CHANNELS channels asked, $((CONNECTIONS / 100)) run (100 subscribers each)")
    CHANNELS=$((CONNECTIONS / 100 > 0 ? CONNECTIONS / 100 : 1))
fi
NODES=$(((CONNECTIONS + PER - 1) / PER))

TARGET=${CARGO_TARGET_DIR:-target}
if [ -z "${PAYBELL_BIN:-}" ]; then
    cargo build --release -p paybell
fi
cargo build --release -p loadgen
PAYBELL=${PAYBELL_BIN:-$TARGET/release/paybell}
LOADGEN=$TARGET/release/paybell-loadgen

OUT=target/bench-cluster/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
APP_ID=bench
APP_KEY=bench-key
APP_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
PREFIX="bench-cluster-$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')"
CONFIG="$OUT/paybell.toml"
cat >"$CONFIG" <<TOML
[realtime]
# Generous: a benchmark client reads as fast as it can, so no queue should fill.
outbound_queue = 4096
shutdown_jitter_ms = 0

[[realtime.apps]]
id = "$APP_ID"
key = "$APP_KEY"
secret = "$APP_SECRET"
TOML

PIDS=()
PORTS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "$PREFIX:*" |
        xargs -r -n 500 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" del >/dev/null || true
}
trap cleanup EXIT

for i in $(seq "$NODES"); do
    stdout="$OUT/node-$i.stdout"
    : >"$stdout"
    env REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT" PAYBELL_REDIS_PREFIX="$PREFIX" \
        "$PAYBELL" realtime --addr 127.0.0.1:0 --config "$CONFIG" >"$stdout" 2>"$OUT/node-$i.log" &
    PIDS+=("$!")
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$stdout")
        [ -n "$port" ] && break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "bench-cluster: node $i did not start; see $OUT/node-$i.log" >&2
        exit 1
    fi
    PORTS+=("$port")
done
commas() { local IFS=,; echo "$*"; }

START=$(date +%s)
LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)
COMMAND=("$LOADGEN" --port "${PORTS[0]}" --server-pid "${PIDS[0]}" --app-id "$APP_ID"
    --key "$APP_KEY" --secret "$APP_SECRET" --label paybell --json "$OUT/cluster.json"
    cluster --ports "$(commas "${PORTS[@]}")" --server-pids "$(commas "${PIDS[@]}")"
    --connections "$CONNECTIONS" --per-worker "$PER" --hold-secs "$HOLD_SECS"
    --fanout-runs "$FANOUT_RUNS" --channels "$CHANNELS" --steady-secs "$STEADY_SECS")
FAILED=
# Bounded: the phases take about hold + steady + 2 minutes of ramps; the workers also stop
# by themselves (--max-secs).
timeout --signal=TERM 1800 "${COMMAND[@]}" >"$OUT/cluster.txt" || FAILED=yes

{
    echo "Paybell across nodes, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)'), server $PAYBELL"
    echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, open-file limit $NOFILE; load average at start: $LOAD_START, at end: $(cut -d" " -f1-3 /proc/loadavg)"
    echo "$NODES nodes on Redis $REDIS_HOST:$REDIS_PORT (prefix $PREFIX), $CONNECTIONS connections, up to $PER per process; took $(($(date +%s) - START)) s"
    for note in "${NOTES[@]}"; do echo "note: $note"; done
    [ -n "$FAILED" ] && echo "FAILED: see $OUT/cluster.txt and the node logs"
    echo
    cat "$OUT/cluster.txt"
} | tee "$OUT/summary.txt"
echo "results: $OUT"
[ -z "$FAILED" ]
