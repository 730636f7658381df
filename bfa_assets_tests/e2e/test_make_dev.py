"""`make dev` serves the UI on 127.0.0.1 only: nothing listens on another address."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from bfa_assets_tests.e2e.dagster_dev import PROJECT, instance_env, stop_group
from bfa_assets_tests.processes import free_port, simulator_process, wait_until

pytestmark = pytest.mark.e2e


def listening(port: int) -> set[str]:
    """Addresses with a TCP socket in LISTEN state on `port` (from /proc/net/tcp{,6})."""
    found = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                raw = bytes.fromhex(address)
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(socket.inet_ntop(family, words))
    return found


def test_make_dev_listens_on_loopback_only(tmp_path: Path):
    port = free_port()
    with simulator_process("--scenario", "tiny") as (url, _):
        env = {**os.environ, **instance_env(tmp_path, f"{url}/data.binance.vision", url)}
        process = subprocess.Popen(["make", "dev", f"PORT={port}"], cwd=PROJECT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)  # fmt: skip
        try:
            wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/server_info").is_success, 240,
                       "make dev", process)  # fmt: skip
            assert listening(port) == {"127.0.0.1"}
        finally:
            stop_group(process)
