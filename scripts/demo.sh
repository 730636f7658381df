#!/usr/bin/env bash
# make demo: the simulator (demo scenario) in the background, Dagster pointed at it.
set -euo pipefail
bin=$1 host=$2 port=$3 sim_port=$4
set -a  # dagster.env: the environment of every Dagster process
source dagster.env
set +a
mkdir -p "$DAGSTER_HOME" data/demo
cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
"$bin/python" -m bfa_assets_tests.vision_sim --scenario demo --host "$host" --port "$sim_port" &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
export BFA_VISION_URL="http://$host:$sim_port/data.binance.vision"
export BFA_FAPI_URL="http://$host:$sim_port"
export BFA_DUCKDB_PATH=data/demo/bfa.duckdb
export BFA_RELEASE_DIR=data/demo/release
"$bin/dagster" dev -h "$host" -p "$port"
