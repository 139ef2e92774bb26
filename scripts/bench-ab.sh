#!/usr/bin/env bash
# A/B of release builds, alternating within every round, each server started fresh with the
# same config and a fresh data directory:
#   scripts/bench-ab.sh DIR LABEL... ; DIR holds paybell-LABEL for each label and the load
#   generator paybell-loadgen; the label `floor` runs `paybell-loadgen floor`.
# Variables: RUNS=12 rounds; SCENARIOS="idle fanout" (any of `idle`: idle --connections 10000,
# `fanout`: fanout --subscribers 5000 --runs FANOUT_RUNS (5), `fanout15`: the same at 15000,
# `tp`: throughput --channels 39 --subscribers 500); NICE=0 (a negative value keeps other work on a shared machine from
# taking the cores mid-run; every label gets the same). 127.0.0.1 only; stops by itself.
# Results: target/bench-ab/<UTC time>/LABEL-SCENARIO-ROUND.{json,txt,cpu} and a log with the
# load average at the start of each run; the `.cpu` file has the server's CPU ticks and
# context switches over the scenario.
set -uo pipefail
cd "$(dirname "$0")/.."
BINS=${1:?usage: scripts/bench-ab.sh DIR LABEL...}
shift
LABELS=("$@")
ulimit -n "$(ulimit -Hn)"
OUT=target/bench-ab/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
cat >"$OUT/paybell.toml" <<TOML
[realtime]
outbound_queue = 4096
# 39 x 500 subscribers fit under the 20,000 open files of the machine this was written on.
max_connections = 19700
shutdown_jitter_ms = 0

[[realtime.apps]]
id = "bench"
key = "bench-key"
secret = "$SECRET"
TOML
NICE=${NICE:-0}
for round in $(seq "${RUNS:-12}"); do
    for label in "${LABELS[@]}"; do
        for scenario in ${SCENARIOS:-idle fanout}; do
            data=$(mktemp -d)
            : >"$OUT/server.out" # before the launch, so no earlier server's port is read
            if [ "$label" = floor ]; then
                nice -n "$NICE" "$BINS/paybell-loadgen" floor --addr 127.0.0.1:0 --app-id bench \
                    --key bench-key --secret "$SECRET" --max-secs 400 \
                    >"$OUT/server.out" 2>>"$OUT/server-$label.log" &
            else
                nice -n "$NICE" "$BINS/paybell-$label" realtime --addr 127.0.0.1:0 \
                    --config "$OUT/paybell.toml" --data-dir "$data" \
                    >"$OUT/server.out" 2>>"$OUT/server-$label.log" &
            fi
            pid=$!
            port=""
            for _ in $(seq 100); do
                port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$OUT/server.out")
                [ -n "$port" ] && break
                sleep 0.1
            done
            case "$scenario" in
                idle) args=(idle --connections 10000) ;;
                tp) args=(throughput --channels 39 --subscribers 500) ;;
                fanout15) args=(fanout --subscribers 15000 --runs "${FANOUT_RUNS:-5}") ;;
                *) args=(fanout --subscribers 5000 --runs "${FANOUT_RUNS:-5}") ;;
            esac
            name="$OUT/$label-$scenario-$round"
            echo "$(date -u +%T) $label $scenario $round load $(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/log"
            nice -n "$NICE" timeout 300 "$BINS/paybell-loadgen" --port "$port" --server-pid "$pid" \
                --app-id bench --key bench-key --secret "$SECRET" --label "$label" \
                --name "$scenario" --json "$name.json" "${args[@]}" >"$name.txt" 2>&1 ||
                echo "$label $scenario $round failed" | tee -a "$OUT/log" >&2
            awk '{print "cpu_ticks", $14 + $15}' "/proc/$pid/stat" >"$name.cpu" 2>/dev/null
            cat /proc/"$pid"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {v += $2}
                /^nonvoluntary_ctxt/ {n += $2} END {print "vcsw", v, "nvcsw", n}' >>"$name.cpu"
            kill -TERM "$pid"
            wait "$pid" 2>/dev/null
            rm -rf "$data"
        done
    done
done
echo "$OUT"
