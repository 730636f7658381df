#!/usr/bin/env bash
# make demo: the Vision simulator (demo scenario) and `dagster dev` pointed at it, offline.
# Writes data/demo/env.sh (the demo's settings, for another shell) and, once the UI answers,
# prints where everything is.
set -euo pipefail
bin=$1 host=$2 port=$3 sim_port=$4
root=$PWD
set -a  # dagster.env: the environment of every Dagster process
source dagster.env
set +a
mkdir -p "$DAGSTER_HOME" data/demo
cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"

cat > data/demo/env.sh <<ENV
# The demo's settings: \`source data/demo/env.sh\` in another shell, then use .venv/bin/dagster
# and .venv/bin/bfa as the README shows. Written by \`make demo\`.
set -a; source $root/dagster.env; set +a
export DAGSTER_HOME=$DAGSTER_HOME
export BFA_VISION_URL=http://$host:$sim_port/data.binance.vision
export BFA_FAPI_URL=http://$host:$sim_port
export BFA_DAPI_URL=http://$host:$sim_port
export BFA_DUCKDB_PATH=$root/data/demo/bfa.duckdb
export BFA_RELEASE_DIR=$root/data/demo/release
export BFA_DAILY_SENSOR=off
ENV
# shellcheck source=/dev/null
source data/demo/env.sh

"$bin/python" -m bfa_assets_tests.vision_sim --scenario demo --host "$host" --port "$sim_port" \
    > data/demo/simulator.log 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT

banner() {  # once the UI answers: where everything is
    until "$bin/python" -c "import urllib.request as u; u.urlopen('http://$host:$port/server_info')" \
            2>/dev/null; do
        sleep 1
    done
    cat <<BANNER

  ────────────────────────────────────────────────────────────────────────────
  bfa demo is up (offline: the Vision simulator plays Binance, ~300 symbols)
    Dagster UI          http://$host:$port
    simulator           http://$host:$sim_port   (log: data/demo/simulator.log)
    working database    data/demo/bfa.duckdb
    release             data/demo/release/        (after release_artifact runs)
  Nothing runs until you materialize: the daily sensor is off in the demo
  (docs/operations.md). From another shell:
    source data/demo/env.sh
    .venv/bin/bfa query summary
  Dagster's note above that dagster.yaml "will not be used" means this folder's
  copy: the instance in .dagster-demo/ uses the same file. Ctrl-C stops all.
  ────────────────────────────────────────────────────────────────────────────

BANNER
}
banner &
# In the foreground, so that Ctrl-C reaches it (a background job of a script ignores SIGINT).
# Its output, and every run's, one line per record (scripts/demo_terminal.py): the UI has it
# all. Ctrl-C is how the demo ends, so it ends the script without an error.
trap 'stopped=1' INT
status=0
"$bin/dagster" dev -h "$host" -p "$port" --log-level warning 2>&1 \
    | "$bin/python" scripts/demo_terminal.py || status=$?
if [[ -n ${stopped:-} ]]; then
    echo "bfa demo stopped"
    exit 0
fi
exit "$status"
