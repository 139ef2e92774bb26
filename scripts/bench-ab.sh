#!/usr/bin/env bash
# A/B of release builds: `idle --connections 10000` and `fanout --subscribers 5000 --runs 5`
# (as in `make bench`) against each build in turn, alternating within every round, each
# server started fresh with the same config and a fresh data directory.
#   scripts/bench-ab.sh DIR LABEL... ; DIR holds paybell-LABEL for each label, and the
#   load generator paybell-loadgen. RUNS=12 rounds by default. 127.0.0.1 only; stops by itself.
# Results: target/bench-ab/<UTC time>/LABEL-SCENARIO-ROUND.{json,txt}.
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
shutdown_jitter_ms = 0

[[realtime.apps]]
id = "bench"
key = "bench-key"
secret = "$SECRET"
TOML
for round in $(seq "${RUNS:-12}"); do
    for label in "${LABELS[@]}"; do
        for scenario in idle fanout; do
            data=$(mktemp -d)
            : >"$OUT/server.out" # before the launch, so no earlier server's port is read
            "$BINS/paybell-$label" realtime --addr 127.0.0.1:0 --config "$OUT/paybell.toml" \
                --data-dir "$data" >"$OUT/server.out" 2>>"$OUT/server-$label.log" &
            pid=$!
            port=""
            for _ in $(seq 100); do
                port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$OUT/server.out")
                [ -n "$port" ] && break
                sleep 0.1
            done
            if [ "$scenario" = idle ]; then args=(idle --connections 10000)
            else args=(fanout --subscribers 5000 --runs 5); fi
            timeout 300 "$BINS/paybell-loadgen" --port "$port" --server-pid "$pid" \
                --app-id bench --key bench-key --secret "$SECRET" --label "$label" \
                --name "$scenario" --json "$OUT/$label-$scenario-$round.json" "${args[@]}" \
                >"$OUT/$label-$scenario-$round.txt" 2>&1 || echo "$label $scenario $round failed" >&2
            kill -TERM "$pid"
            wait "$pid" 2>/dev/null
            rm -rf "$data"
        done
    done
done
echo "$OUT"
