#!/usr/bin/env bash
# Routing by interest (issue #17, part 2): four `paybell realtime` nodes on the Redis at
# 127.0.0.1:6379 (a fresh key prefix per run), 1,000 channels whose subscribers all sit on one
# node each (channel i on node i mod 4), 5,000 events/s spread over them for 20 s through every
# node's HTTP API (`paybell-loadgen interest`). Reported per node: the frames and bytes it
# received from Redis, against its own share (the events of its channels).
#
#   scripts/bench-interest.sh LABEL=PAYBELL_BINARY...
#   e.g. scripts/bench-interest.sh before=/tmp/paybell-main after=target/release/paybell
#
# Bytes are counted outside the server, the same way for every binary: what the kernel says
# each node's TCP connections to Redis received (`ss -ti`, bytes_received), read before and
# after the sending. Frames come from the node's /metrics
# (`paybell_redis_frames_received_total`) when it has that counter; for a build without it,
# from an observer subscribed to the shared bus, which such a build's every node receives
# whole. Sizes: INTEREST_NODES (4), INTEREST_CHANNELS (1000), INTEREST_RATE (5000),
# INTEREST_SECS (20), RUNS (1). Results in target/bench-interest/<UTC time>/.
#
# 127.0.0.1 only; bounded (every process is stopped at the end, the observer by `timeout`);
# not part of `make test`. Needs the load generator: cargo build --release -p loadgen.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { sed -n 2,20p "$0"; exit 2; }
NODES=${INTEREST_NODES:-4}
CHANNELS=${INTEREST_CHANNELS:-1000}
RATE=${INTEREST_RATE:-5000}
SECS=${INTEREST_SECS:-20}
RUNS=${RUNS:-1}
LOADGEN=${LOADGEN:-${CARGO_TARGET_DIR:-target}/release/paybell-loadgen}
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
OUT=target/bench-interest/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
cat >"$OUT/paybell.toml" <<TOML
[realtime]
outbound_queue = 4096
shutdown_jitter_ms = 0
metrics_token = "$TOKEN"

[[realtime.apps]]
id = "bench"
key = "bench-key"
secret = "$SECRET"
TOML

RUNNING=()
stop_all() {
    for pid in "${RUNNING[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${RUNNING[@]}"; do wait "$pid" 2>/dev/null || true; done
    RUNNING=()
}
trap stop_all EXIT

# Bytes the process PID received on its established TCP connections to Redis.
redis_rx() {
    ss -tinpH state established dst 127.0.0.1:6379 | awk -v want="pid=$1," '
        index($0, want) { grab = 1; next }
        grab { if (match($0, /bytes_received:[0-9]+/)) sum += substr($0, RSTART + 15, RLENGTH - 15); grab = 0 }
        END { print sum + 0 }'
}
redis_out() { redis-cli -h 127.0.0.1 -p 6379 info stats | tr -d '\r' | sed -n 's/^total_net_output_bytes://p'; }

run_one() { # label binary run
    local label=$1 bin=$2 run=$3 prefix="bench-interest-$$-$1-$3" tag="$1-$3"
    local pids=() ports=()
    for n in $(seq "$NODES"); do
        : >"$OUT/$tag-node$n.out"
        env REDIS_URL=redis://127.0.0.1:6379 PAYBELL_REDIS_PREFIX="$prefix" \
            "$bin" realtime --addr 127.0.0.1:0 --config "$OUT/paybell.toml" \
            >"$OUT/$tag-node$n.out" 2>"$OUT/$tag-node$n.log" &
        pids+=("$!")
        RUNNING+=("$!")
        local port=""
        for _ in $(seq 100); do
            port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$OUT/$tag-node$n.out")
            [ -n "$port" ] && break
            sleep 0.1
        done
        [ -n "$port" ] || { echo "node $n of $label did not start" >&2; return 1; }
        ports+=("$port")
    done
    timeout $((SECS + 240)) redis-cli -h 127.0.0.1 -p 6379 --csv subscribe "$prefix:bus" \
        >"$OUT/$tag-bus.csv" 2>/dev/null &
    local observer=$!
    # The load generator reads each node's counters itself just before and after sending;
    # the kernel's counts bracket the whole run, subscriptions included.
    local rx_before=() out_before
    for pid in "${pids[@]}"; do rx_before+=("$(redis_rx "$pid")"); done
    out_before=$(redis_out)
    local list
    list=$(IFS=,; echo "${ports[*]}")
    timeout $((SECS + 200)) "$LOADGEN" --app-id bench --key bench-key --secret "$SECRET" \
        --label "$label" --json "$OUT/$tag.json" \
        interest --nodes "$list" --channels "$CHANNELS" --rate "$RATE" --secs "$SECS" \
        --metrics-token "$TOKEN" | tee "$OUT/$tag.txt"
    local out_after
    out_after=$(redis_out)
    {
        echo "$label run $run: bytes from Redis per node (kernel count over the whole run)"
        local i=0
        for pid in "${pids[@]}"; do
            echo "  node port ${ports[$i]}: $(( $(redis_rx "$pid") - ${rx_before[$i]} )) bytes"
            i=$((i + 1))
        done
        echo "  Redis sent in all: $((out_after - out_before)) bytes"
    } | tee -a "$OUT/$tag.txt"
    kill -TERM "$observer" 2>/dev/null || true
    wait "$observer" 2>/dev/null || true
    local bus_frames
    bus_frames=$(grep -cE '^"message","[^"]*","[0-9a-f]+\\n[^\\]*\\n[FfMm]\\n' "$OUT/$tag-bus.csv" || true)
    echo "  frames on the shared bus (each node of a build without routing receives them all): $bus_frames" |
        tee -a "$OUT/$tag.txt"
    stop_all
}

for run in $(seq "$RUNS"); do
    for spec in "$@"; do
        run_one "${spec%%=*}" "${spec#*=}" "$run"
    done
done
echo "results: $OUT"
