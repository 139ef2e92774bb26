#!/usr/bin/env bash
# `make bench`: every load-generator scenario against a freshly started `paybell realtime`,
# then the same scenarios against the floor broadcaster, then one summary table with the
# ratios. Results (JSON, logs, the summary) go to target/bench/<UTC time>/.
#
# Everything runs on 127.0.0.1 (client sockets spread over 127.0.0.1..127.0.0.8), is bounded
# in count and time, and stops by itself. Sizes default to the issue's targets and are
# clamped to what the open-file limit allows; override them with the variables below, e.g.
#   BENCH_IDLE_MAX=50000 BENCH_TP_CHANNELS=20 make bench
# BENCH_LABELS="paybell" skips the floor; PAYBELL_BIN=path measures a prebuilt server;
# BENCH_NO_CLUSTER=1 skips the fan-out across two nodes on Redis (run when Redis answers).
set -euo pipefail
cd "$(dirname "$0")/.."

IDLE=${BENCH_IDLE:-10000}
IDLE_MAX=${BENCH_IDLE_MAX:-100000}
FANOUT=${BENCH_FANOUT:-5000}
FANOUT_MAX=${BENCH_FANOUT_MAX:-50000}
FANOUT_RUNS=${BENCH_FANOUT_RUNS:-10}
TP_CHANNELS=${BENCH_TP_CHANNELS:-100}
TP_SUBSCRIBERS=${BENCH_TP_SUBSCRIBERS:-500}
TRIGGER_CONCURRENCY=${BENCH_TRIGGER_CONCURRENCY:-32}
TRIGGER_SECS=${BENCH_TRIGGER_SECS:-10}
CHURN_SECS=${BENCH_CHURN_SECS:-10}
# Which servers: `paybell floor` by default; `paybell` alone skips the floor.
LABELS=${BENCH_LABELS:-paybell floor}

# Explicit credentials, a fresh secret each run: no server here runs on a published one.
APP_ID=bench
APP_KEY=bench-key
APP_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

# Both the server and the load generator hold one socket per connection.
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
CAP=$((NOFILE - 500))
NOTES=()
clamp() { # name value -> value clamped to CAP
    if [ "$2" -gt "$CAP" ]; then
        NOTES+=("$1: $2 asked, $CAP run (open-file limit $NOFILE; the hard limit cannot be raised here)")
        echo "$CAP"
    else
        echo "$2"
    fi
}
IDLE=$(clamp idle "$IDLE")
IDLE_MAX=$(clamp idle-max "$IDLE_MAX")
FANOUT=$(clamp fanout "$FANOUT")
FANOUT_MAX=$(clamp fanout-max "$FANOUT_MAX")
if [ $((TP_CHANNELS * TP_SUBSCRIBERS)) -gt "$CAP" ]; then
    NOTES+=("throughput: ${TP_CHANNELS}x${TP_SUBSCRIBERS} asked, $((CAP / TP_SUBSCRIBERS))x${TP_SUBSCRIBERS} run (open-file limit $NOFILE)")
    TP_CHANNELS=$((CAP / TP_SUBSCRIBERS))
fi

# Separately, so the server is exactly what `make build` makes (no feature unification).
# PAYBELL_BIN measures another build of the server (e.g. an older commit) instead.
if [ -z "${PAYBELL_BIN:-}" ]; then
    cargo build --release -p paybell
fi
cargo build --release -p loadgen
PAYBELL=${PAYBELL_BIN:-./target/release/paybell}
LOADGEN=./target/release/paybell-loadgen

OUT=target/bench/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
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

RUNNING=()
launch() { # name command... -> SERVER_PID, SERVER_PORT once it says "listening on"
    local name=$1 stdout="$OUT/$1.stdout"
    shift
    : >"$stdout"
    "$@" >"$stdout" 2>>"$OUT/$name.log" &
    SERVER_PID=$!
    RUNNING+=("$SERVER_PID")
    for _ in $(seq 100); do
        if grep -q "listening on" "$stdout"; then
            SERVER_PORT=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$stdout")
            return 0
        fi
        sleep 0.1
    done
    echo "$name did not start; see $OUT/$name.log" >&2
    return 1
}

start_server() { # label
    case "$1" in
    paybell) launch paybell "$PAYBELL" realtime --addr 127.0.0.1:0 --config "$CONFIG" ;;
    floor) launch floor "$LOADGEN" floor --addr 127.0.0.1:0 --app-id "$APP_ID" --key "$APP_KEY" \
        --secret "$APP_SECRET" --max-secs 900 ;;
    esac
}

stop_servers() {
    for pid in "${RUNNING[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    RUNNING=()
}
trap stop_servers EXIT

FAILED=()
scenario() { # label name args...
    local label=$1 name=$2
    shift 2
    start_server "$label"
    echo "== $label $name" >&2
    if ! "$LOADGEN" --port "$SERVER_PORT" --server-pid "$SERVER_PID" --app-id "$APP_ID" \
        --key "$APP_KEY" --secret "$APP_SECRET" --label "$label" --name "$name" \
        --json "$OUT/$label-$name.json" "$@"; then
        FAILED+=("$label $name")
    fi
    stop_servers
}

START=$(date +%s)
LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)
for label in $LABELS; do
    scenario "$label" "idle-$IDLE" idle --connections "$IDLE"
    if [ "$IDLE_MAX" -gt "$IDLE" ]; then
        scenario "$label" "idle-$IDLE_MAX" idle --connections "$IDLE_MAX"
    fi
    scenario "$label" "fanout-$FANOUT" fanout --subscribers "$FANOUT" --runs "$FANOUT_RUNS"
    if [ "$FANOUT_MAX" -gt "$FANOUT" ]; then
        scenario "$label" "fanout-$FANOUT_MAX" fanout --subscribers "$FANOUT_MAX" --runs 5
    fi
    scenario "$label" "throughput" throughput --channels "$TP_CHANNELS" --subscribers "$TP_SUBSCRIBERS"
    scenario "$label" "trigger" trigger --concurrency "$TRIGGER_CONCURRENCY" --secs "$TRIGGER_SECS"
    # The floor has no auth, presence or unsubscribe bookkeeping worth comparing.
    if [ "$label" != floor ]; then
        scenario "$label" "churn" churn --secs "$CHURN_SECS" --cycles 2
    fi
done

# Two paybell nodes on one Redis (issue #7): subscribers on one, triggers sent to the other.
cluster_node() { # name
    launch "$1" env REDIS_URL=redis://127.0.0.1:6379 PAYBELL_REDIS_PREFIX="bench-$$" \
        "$PAYBELL" realtime --addr 127.0.0.1:0 --config "$CONFIG"
}
if [ -n "${BENCH_NO_CLUSTER:-}" ]; then
    NOTES+=("two nodes on Redis: skipped (BENCH_NO_CLUSTER)")
elif ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    NOTES+=("two nodes on Redis: skipped (no Redis at 127.0.0.1:6379)")
else
    echo "== paybell fanout-$FANOUT across two nodes on Redis" >&2
    cluster_node node-a && PORT_A=$SERVER_PORT && cluster_node node-b &&
        "$LOADGEN" --port "$SERVER_PORT" --api-port "$PORT_A" --server-pid "$SERVER_PID" \
            --app-id "$APP_ID" --key "$APP_KEY" --secret "$APP_SECRET" --label paybell-2-nodes \
            --name "fanout-$FANOUT-2-nodes" --json "$OUT/paybell-2-nodes-fanout.json" \
            fanout --subscribers "$FANOUT" --runs "$FANOUT_RUNS" >"$OUT/cluster.txt" ||
        FAILED+=("paybell fanout across two nodes on Redis")
    stop_servers
fi

{
    echo "Paybell benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)'), server $PAYBELL"
    echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; load average at start: $LOAD_START, at end: $(cut -d" " -f1-3 /proc/loadavg)"
    echo "client and server share the machine; took $(($(date +%s) - START)) s"
    for note in "${NOTES[@]}"; do echo "note: $note"; done
    for failed in "${FAILED[@]}"; do echo "FAILED: $failed"; done
    echo
    "$LOADGEN" report "$OUT" --server paybell --floor floor
    if [ -s "$OUT/cluster.txt" ]; then
        echo
        echo "Two nodes on Redis: subscribers on node B, HTTP triggers to node A"
        cat "$OUT/cluster.txt"
    fi
} | tee "$OUT/summary.txt"
echo "results: $OUT"
