"""Injected latency and faults, reproducible from a seed.

A fault is decided from a hash of (seed, rule, request target, how many times that target was
requested before), never from a shared random stream, so concurrent clients see the same faults
for the same requests in every run, and a retried request gets a fresh draw.

Spec syntax (comma separated): `KIND=RATE[@SUBSTRING]` or `OPTION=VALUE`, e.g.
`503=0.05,reset=0.01,500=1@/ETHUSDT/,jitter=50,spike=0.01,spike_ms=2000`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bfa_assets_tests.vision_sim.content import unit_hash

KINDS = {
    "503": "503 SlowDown (S3) / 503 (fapi, dapi)",
    "500": "500 InternalError",
    "429": "429 rate limited, with Retry-After (fapi, dapi)",
    "451": "451 geo-blocked (fapi, dapi)",
    "reset": "connection reset before any answer",
    "truncate": "headers promise the full body, half of it arrives",
    "corrupt": "a zip body with damaged bytes (headers unchanged)",
    "checksum": "a CHECKSUM body with a wrong digest",
    "html": "200 with an HTML error page instead of the object or listing",
    "loop": "a listing page that claims truncation but repeats the request's marker",
    "badxml": "a listing cut off in the middle of its XML",
    "bomb": "a listing with an XML entity-expansion bomb",
    "zip2": "a zip with a second member (its CHECKSUM matches it)",
    "zip0": "a zip with no member (its CHECKSUM matches it)",
    "csv11": "a kline CSV with 11 columns (its CHECKSUM matches it)",
    "csvtext": "a kline CSV with text in a number column (its CHECKSUM matches it)",
    "garbage": "a CHECKSUM file that holds no checksum",
}
MALFORMED = ("zip2", "zip0", "csv11", "csvtext")
OPTIONS = ("latency", "jitter", "spike", "spike_ms", "seed")


@dataclass(frozen=True)
class FaultRule:
    kind: str
    rate: float
    match: str = ""  # substring of the decoded path and query; "" matches everything


@dataclass
class FaultPlan:
    rules: tuple[FaultRule, ...] = ()
    latency_ms: float = 0.0
    jitter_ms: float = 0.0  # uniform extra latency in [0, jitter_ms]
    spike_rate: float = 0.0
    spike_ms: float = 2000.0
    seed: int = 0
    _attempts: Counter = field(default_factory=Counter, repr=False)
    injected: Counter = field(default_factory=Counter, repr=False)

    @classmethod
    def parse(cls, spec: str = "", *, latency_ms: float = 0.0, seed: int = 0) -> FaultPlan:
        plan = cls(latency_ms=latency_ms, seed=seed)
        rules = []
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault spec item {item!r} is not NAME=VALUE")
            value, _, match = value.partition("@")
            if name in KINDS:
                rate = float(value)
                if not 0 <= rate <= 1:
                    raise ValueError(f"fault rate {rate} for {name!r} is not within [0, 1]")
                rules.append(FaultRule(name, rate, match))
            elif name in OPTIONS:
                attr = {"latency": "latency_ms", "jitter": "jitter_ms", "spike": "spike_rate"}
                setattr(
                    plan, attr.get(name, name), type(getattr(plan, attr.get(name, name)))(value)
                )
            else:
                raise ValueError(
                    f"unknown fault {name!r}; kinds: {sorted(KINDS)}, options: {OPTIONS}"
                )
        plan.rules = tuple(rules)
        return plan

    def draw(self, target: str) -> tuple[str | None, float]:
        """The fault (or None) and the delay in seconds for the next request of `target`."""
        attempt = self._attempts[target]
        self._attempts[target] += 1
        delay = self.latency_ms
        if self.jitter_ms:
            delay += self.jitter_ms * unit_hash(self.seed, "jitter", target, attempt)
        if self.spike_rate and unit_hash(self.seed, "spike", target, attempt) < self.spike_rate:
            delay += self.spike_ms * unit_hash(self.seed, "spike-size", target, attempt)
        for rule in self.rules:
            if rule.match in target and unit_hash(self.seed, rule, target, attempt) < rule.rate:
                return rule.kind, delay / 1000
        return None, delay / 1000
