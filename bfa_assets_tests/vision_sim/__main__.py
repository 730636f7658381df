"""python -m bfa_assets_tests.vision_sim --scenario NAME --port N [--latency-ms X] [--faults S]"""

from __future__ import annotations

import argparse
import gc
from datetime import datetime

from bfa_assets_tests.vision_sim import scenarios
from bfa_assets_tests.vision_sim.faults import KINDS, OPTIONS, FaultPlan
from bfa_assets_tests.vision_sim.server import SimServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bfa_assets_tests.vision_sim",
        description="Serve a simulated Binance Vision bucket and USD-M REST API on 127.0.0.1.",
        epilog="fault kinds: "
        + ", ".join(f"{k} ({v})" for k, v in KINDS.items())
        + "; options: "
        + ", ".join(OPTIONS),
    )
    parser.add_argument("--scenario", choices=scenarios.SCENARIOS, default="tiny")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--symbols", type=int, help="cap demo/full to this many symbols")
    parser.add_argument(
        "--now",
        type=datetime.fromisoformat,
        help="the simulated clock, ISO 8601 with offset (default: real time; tiny: fixed)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--faults", default="", help="e.g. '503=0.05,reset=0.01,jitter=50'")
    args = parser.parse_args(argv)
    universe = scenarios.build(args.scenario, seed=args.seed, now=args.now, symbols=args.symbols)
    plan = FaultPlan.parse(args.faults, latency_ms=args.latency_ms, seed=args.seed)
    server = SimServer(universe, plan, port=args.port, host=args.host)
    _collect_rarely()
    print(
        f"vision-sim: scenario {universe.name} ({len(universe.symbols)} symbols, now "
        f"{universe.now:%Y-%m-%d %H:%M}Z) on {server.url}\n"
        f"  BFA_VISION_URL={server.vision_url}\n  BFA_FAPI_URL={server.fapi_url}",
        flush=True,
    )
    server.serve_forever()


def _collect_rarely() -> None:
    """Keep the cyclic garbage collector off the universe's caches.

    A full history caches millions of objects (bars, zips, listed objects) that live as long as
    the process; Python's full collections walked all of them again and again, a third of the
    simulator's CPU at 1,007 symbols (docs/benchmarks.md). What exists now is frozen out of
    collection, and full collections are left for when young ones have run very many times.
    """
    gc.freeze()
    gc.set_threshold(100_000, 50, 1_000)


if __name__ == "__main__":
    main()
