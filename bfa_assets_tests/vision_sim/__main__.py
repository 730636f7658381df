"""python -m bfa_assets_tests.vision_sim --scenario NAME --port N [--latency-ms X] [--faults S]"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from bfa_assets.steps.heap import fewer_collections
from bfa_assets_tests.vision_sim import scenarios
from bfa_assets_tests.vision_sim.bucket import render_listings
from bfa_assets_tests.vision_sim.faults import KINDS, OPTIONS, FaultPlan
from bfa_assets_tests.vision_sim.server import SimServer
from bfa_assets_tests.vision_sim.universe import Universe


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bfa_assets_tests.vision_sim",
        description="Serve a simulated Binance Vision bucket and USD-M and COIN-M REST APIs on "
        "127.0.0.1.",
        epilog="fault kinds: "
        + ", ".join(f"{k} ({v})" for k, v in KINDS.items())
        + "; options: "
        + ", ".join(OPTIONS),
    )
    parser.add_argument("--scenario", choices=scenarios.SCENARIOS, default="tiny")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--symbols", type=int, help="cap demo/full to this many USD-M symbols")
    parser.add_argument(
        "--cm-symbols",
        type=int,
        help="cap demo/full to this many COIN-M contracts (default: in proportion to --symbols, "
        "else 40 in demo, all 272 in full)",
    )
    parser.add_argument(
        "--now",
        type=datetime.fromisoformat,
        help="the simulated clock, ISO 8601 with offset (default: real time; tiny: fixed)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--faults", default="", help="e.g. '503=0.05,reset=0.01,jitter=50'")
    parser.add_argument(
        "--prerender",
        action="store_true",
        help="before serving, render what a history lists (every symbol's daily 1m and monthly "
        "1d folder, both markets), so that a benchmark measures the pipeline, not the simulator",
    )
    args = parser.parse_args(argv)
    universe = scenarios.build(
        args.scenario,
        seed=args.seed,
        now=args.now,
        symbols=args.symbols,
        cm_symbols=args.cm_symbols,
    )
    plan = FaultPlan.parse(args.faults, latency_ms=args.latency_ms, seed=args.seed)
    server = SimServer(universe, plan, port=args.port, host=args.host)
    # the universe's caches (bars, zips, listed objects) live as long as the process: a full
    # history's collections walked millions of them again and again (docs/benchmarks.md)
    with fewer_collections():
        if args.prerender:
            prerender(universe)
        _serve(server)


def prerender(universe: Universe) -> None:
    started = time.process_time()
    folders = [f for market in universe.markets for f in universe.history_folders(market=market)]
    entries = render_listings(universe, folders)
    seconds = time.process_time() - started
    print(f"vision-sim: rendered {entries} listing entries in {seconds:.1f} s", flush=True)


def _serve(server: SimServer) -> None:
    universe = server.universe
    print(
        f"vision-sim: scenario {universe.name} ({len(universe.symbols)} symbols, "
        f"{len(universe.symbols_of('cm'))} COIN-M contracts, now "
        f"{universe.now:%Y-%m-%d %H:%M}Z) on {server.url}\n"
        f"  BFA_VISION_URL={server.vision_url}\n  BFA_FAPI_URL={server.fapi_url}\n"
        f"  BFA_DAPI_URL={server.dapi_url}",
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
