"""Load SLOs judged k6-threshold style: every threshold is evaluated once, at the end of a run.

Pure and dependency-free on purpose: the locust child imports it to set its exit code (so a
plain ``locust`` CLI run is gated by the same rules) and the pytest side imports it to turn
the same breaches into findings. It must import neither locust (gevent patches the stdlib)
nor pytest.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "AGGREGATED",
    "CPU_BOUND_PERCENT",
    "DEFAULT_PROGRESS_S",
    "PROGRESS_PREFIX",
    "RESULTS_VERSION",
    "Breach",
    "Figures",
    "SloSpec",
    "Thresholds",
    "breach_lines",
    "evaluate",
]

RESULTS_VERSION = 1
# The progress line both sides agree on: the child prints it, pytest forwards it.
PROGRESS_PREFIX = "prodready load:"
DEFAULT_PROGRESS_S = 5.0
# Locust's own CPU warning threshold (locust.runners.CPU_WARNING_THRESHOLD).
CPU_BOUND_PERCENT = 90.0
AGGREGATED = "all requests"
_THRESHOLD_KEYS = ("p95_ms", "p99_ms", "error_rate", "min_rps")


@dataclass(frozen=True)
class Thresholds:
    """The SLOs of all requests together or of one request name; None means not judged."""

    p95_ms: float | None = None
    p99_ms: float | None = None
    error_rate: float | None = None
    min_rps: float | None = None

    @classmethod
    def from_json(cls, data: object, where: str) -> Thresholds:
        """Thresholds from a JSON object; ValueError naming ``where`` on a bad key or value."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{where} must be an object of {', '.join(_THRESHOLD_KEYS)}")
        unknown = sorted(set(data) - set(_THRESHOLD_KEYS))
        if unknown:
            raise ValueError(
                f"{where} has unknown key(s) {', '.join(unknown)}; valid: "
                f"{', '.join(_THRESHOLD_KEYS)}"
            )
        values: dict[str, float | None] = {}
        for key in _THRESHOLD_KEYS:
            value = data.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value < 0
            ):
                raise ValueError(f"{where}.{key} is {value!r}; expected a number >= 0")
            values[key] = None if value is None else float(value)
        return cls(**values)

    @property
    def empty(self) -> bool:
        return all(v is None for v in asdict(self).values())


@dataclass(frozen=True)
class SloSpec:
    """All SLOs of a run: for all requests together, and per request name.

    A per-request key is ``"GET /api/items"`` (method and name, as locust reports them) or a
    bare name, which then applies to every method of that name.
    """

    total: Thresholds = field(default_factory=Thresholds)
    requests: Mapping[str, Thresholds] = field(default_factory=lambda: MappingProxyType({}))

    def to_json(self) -> str:
        """Compact JSON, the form the locust child receives on its command line."""
        data: dict[str, Any] = _drop_none(asdict(self.total))
        if self.requests:
            data["requests"] = {k: _drop_none(asdict(v)) for k, v in self.requests.items()}
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SloSpec:
        """Parse :meth:`to_json` output; ValueError with a one-line reason when malformed."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the SLO is not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ValueError("the SLO must be a JSON object")
        per_request = data.pop("requests", {})
        if not isinstance(per_request, dict):
            raise ValueError("the SLO's requests must be an object of request name -> SLO")
        return cls(
            total=Thresholds.from_json(data, "the SLO"),
            requests=MappingProxyType(
                {
                    str(name): Thresholds.from_json(value, f"requests[{name!r}]")
                    for name, value in per_request.items()
                }
            ),
        )

    @property
    def empty(self) -> bool:
        return self.total.empty and all(t.empty for t in self.requests.values())


@dataclass(frozen=True)
class Figures:
    """What locust measured for one request name (or for all requests: ``name`` Aggregated)."""

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    avg_ms: float | None = None
    min_ms: float | None = None
    max_ms: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None

    @property
    def label(self) -> str:
        """``GET /api/items``, or ``all requests`` for the aggregate."""
        return f"{self.method} {self.name}".strip() if self.method else AGGREGATED

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figures:
        """Figures from the results JSON; KeyError/TypeError/ValueError when malformed."""

        def number(key: str) -> float | None:
            value = data.get(key)
            return None if value is None else float(value)

        return cls(
            method=str(data["method"] or ""),
            name=str(data["name"]),
            requests=int(data["requests"]),
            failures=int(data["failures"]),
            rps=float(data["rps"]),
            avg_ms=number("avg_ms"),
            min_ms=number("min_ms"),
            max_ms=number("max_ms"),
            p50_ms=number("p50_ms"),
            p95_ms=number("p95_ms"),
            p99_ms=number("p99_ms"),
        )


@dataclass(frozen=True)
class Breach:
    """One SLO not met: which kind, on which requests, measured against the limit."""

    kind: str  # "p95", "p99", "error-rate", "throughput" or "no-requests"
    label: str
    measured: float | None = None
    limit: float | None = None
    detail: str = ""

    @property
    def message(self) -> str:
        """E.g. ``p95 612 ms > 500 ms on GET /api/items``."""
        if self.kind in ("p95", "p99"):
            return f"{self.kind} {_num(self.measured)} ms > {_num(self.limit)} ms on {self.label}"
        if self.kind == "error-rate":
            return (
                f"error rate {_pct(self.measured)} ({self.detail}) > {_pct(self.limit)} "
                f"on {self.label}"
            )
        if self.kind == "throughput":
            return (
                f"throughput {_num(self.measured, 1)} req/s < {_num(self.limit)} req/s "
                f"on {self.label}"
            )
        return self.detail


def evaluate(spec: SloSpec, total: Figures, requests: Sequence[Figures]) -> list[Breach]:
    """Every breach of ``spec`` by the measured figures, all-requests SLOs first.

    A run with no request at all, or a per-request SLO whose request never ran, is a breach
    too: a threshold that judged nothing must not read as met.
    """
    if total.requests == 0:
        return [Breach("no-requests", AGGREGATED, detail="the load run made no requests")]
    breaches = _judge(spec.total, total)
    for key, thresholds in spec.requests.items():
        matched = [f for f in requests if key in (f.label, f.name)]
        if not matched:
            breaches.append(
                Breach(
                    "no-requests",
                    key,
                    detail=f"no request named {key!r} was made, but it has an SLO",
                )
            )
        for figures in matched:
            breaches += _judge(thresholds, figures)
    return breaches


def _judge(t: Thresholds, f: Figures) -> list[Breach]:
    found: list[Breach] = []
    for kind, measured, limit in (("p95", f.p95_ms, t.p95_ms), ("p99", f.p99_ms, t.p99_ms)):
        if limit is not None and measured is not None and measured > limit:
            found.append(Breach(kind, f.label, measured, limit))
    if t.error_rate is not None and f.error_rate > t.error_rate:
        detail = f"{f.failures} of {f.requests} failed"
        found.append(Breach("error-rate", f.label, f.error_rate, t.error_rate, detail))
    if t.min_rps is not None and f.rps < t.min_rps:
        found.append(Breach("throughput", f.label, f.rps, t.min_rps))
    return found


def breach_lines(breaches: Iterable[Breach]) -> list[str]:
    """One ``- ...`` line per breach, for a CLI run's log."""
    return [f"- {b.message}" for b in breaches]


def _drop_none(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if digits == 0 and float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.{max(digits, 1)}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"
