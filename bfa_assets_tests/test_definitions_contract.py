"""The code location's contract, compared with a committed snapshot (definitions_contract.json).

Asset keys, their partitions, back-fill policies, pools, groups and dependencies, the checks
and which of them block, the sensors and their default status, the executor and the resources:
a change to any of them is a visible diff of the snapshot in review, found in well under a
second, not only by the slow end-to-end tests. After a deliberate change, write the new
snapshot with `BFA_UPDATE_CONTRACT=1 .venv/bin/pytest bfa_assets_tests/test_definitions_contract.py`
and commit it with the change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

from bfa_assets.definitions import defs

SNAPSHOT = Path(__file__).with_name("definitions_contract.json")


def partitions(spec: dg.AssetSpec) -> dict | None:
    daily = spec.partitions_def
    if daily is None:
        return None
    assert isinstance(daily, dg.DailyPartitionsDefinition), daily
    return {
        "daily_from": daily.start.date().isoformat(),
        "timezone": daily.timezone,
        "end_offset": daily.end_offset,
    }


def contract(definitions: dg.Definitions) -> dict:
    """What other tools, tests and operators rely on, in a stable order."""
    assets = {}
    for spec in definitions.resolve_all_asset_specs():
        built = definitions.resolve_assets_def(spec.key)
        assets[spec.key.to_user_string()] = {
            "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps),
            "group": spec.group_name,
            "partitions": partitions(spec),
            "backfill_policy": str(built.backfill_policy),
            "pool": built.op.pool if built.is_executable else None,
            "kinds": sorted(spec.kinds),
        }
    checks = {
        spec.key.to_user_string(): {"blocking": spec.blocking}
        for check in definitions.asset_checks
        for spec in check.check_specs
    }
    sensors = {
        sensor.name: {
            "default_status": sensor.default_status.value,
            "minimum_interval_seconds": sensor.minimum_interval_seconds,
        }
        for sensor in definitions.sensors
    }
    return {
        "assets": dict(sorted(assets.items())),
        "checks": dict(sorted(checks.items())),
        "sensors": dict(sorted(sensors.items())),
        "executor": definitions.executor.name,
        "resources": sorted(definitions.resources),
    }


def test_the_definitions_match_their_committed_contract():
    found = contract(defs)
    if os.environ.get("BFA_UPDATE_CONTRACT") == "1":
        SNAPSHOT.write_text(json.dumps(found, indent=2) + "\n")
    assert found == json.loads(SNAPSHOT.read_text()), (
        "the code location's contract changed: if on purpose, rewrite the snapshot "
        "(BFA_UPDATE_CONTRACT=1, see this module) and commit it"
    )
