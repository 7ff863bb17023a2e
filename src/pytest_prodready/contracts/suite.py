"""API contracts with schemathesis: every operation of the env's OpenAPI document, checked
against it, read-only on protected environments.

Collection (``contracts_collect.parametrize``) loads the document once per process, lists its
operations, one test each. The first test to run sends the requests of every selected
read-only operation in one schemathesis engine run, the way ``schemathesis run`` does; each
test then reports its own operation. Operations whose testing sends anything but
GET/HEAD/OPTIONS are ``destructive`` tests and share a second engine run, started only from
inside one of them, once the safety gate has let it run; on a protected environment they
are skipped, and a transport guard refuses any unsafe request schemathesis might still try.
"""

from __future__ import annotations

import copy
import string
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import pytest

from pytest_prodready.contracts.checks import OperationOutcome, curl_command
from pytest_prodready.contracts.policy import (
    OPERATION_PHASES,
    STATEFUL_PHASES,
    Operation,
    engine_settings,
    origin_of,
    sends_unsafe,
    shell_value,
)
from pytest_prodready.contracts.schema import LoadedSchema, SchemaUnavailable, load
from pytest_prodready.target.runtime import Runtime

if TYPE_CHECKING:
    from schemathesis import BaseSchema

__all__ = [
    "READ_ONLY",
    "ContractRunner",
    "ContractSuite",
    "Operation",
    "SchemaUnavailable",
    "load",
    "runner",
    "suite_of",
]

READ_ONLY = "prodready read-only:"


class _SecretValues(dict[str, str]):
    """Header template fields, resolved from the env's secrets when a run needs them."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self._runtime = runtime

    def __missing__(self, name: str) -> str:
        # A missing secret fails the test here, naming the variable to export.
        return self._runtime.secrets.get(name).reveal()


class ContractSuite:
    """One environment's loaded OpenAPI document and how schemathesis runs over it."""

    def __init__(self, runtime: Runtime, loaded: LoadedSchema) -> None:
        self.runtime = runtime
        self.loaded = loaded
        self.env = loaded.env
        self.operations = loaded.operations
        self._schemas: dict[tuple[str, ...], tuple[BaseSchema, int]] = {}

    @property
    def protected(self) -> bool:
        return self.env.protected

    def sends_unsafe(self, operation: Operation) -> bool:
        """Whether testing ``operation`` sends a method other than GET/HEAD/OPTIONS."""
        return sends_unsafe(operation, self.env.contract, protected=self.protected)

    def secret_headers(self) -> dict[str, str]:
        """Headers whose template uses a secret, as shell text with ``${VAR}`` references."""
        variables = self.runtime.secrets.declared
        return {
            name: shell_value(template, variables)
            for name, template in self.env.contract.headers.items()
            if any(field for _, field, _, _ in string.Formatter().parse(template))
        }

    def schema(self, phases: Sequence[str]) -> tuple[BaseSchema, int]:
        """A schemathesis schema configured for ``phases``, and the seed its runs use."""
        key = tuple(phases)
        if key not in self._schemas:
            self._schemas[key] = self._configured(phases)
        return self._schemas[key]

    def _configured(self, phases: Sequence[str]) -> tuple[BaseSchema, int]:
        import schemathesis
        from schemathesis.config import SanitizationConfig, SchemathesisConfig

        spec = self.env.contract
        values = _SecretValues(self.runtime)
        settings = engine_settings(
            spec,
            headers={name: t.format_map(values) for name, t in spec.headers.items()},
            secret_headers=list(self.secret_headers()),
            sanitized_by_default=SanitizationConfig().keys_to_sanitize,
            ca_bundle=self.env.ca_bundle,
            timeout_s=self.env.timeout_s,
            protected=self.protected,
            phases=phases,
        )
        settings["base-url"] = self.loaded.base_url
        config = SchemathesisConfig.from_dict(settings)
        document = copy.deepcopy(self.loaded.document)
        return schemathesis.openapi.from_dict(document, config=config), config.seed

    def run(
        self,
        operations: Sequence[Operation],
        phases: Sequence[str] = OPERATION_PHASES,
        *,
        deadline: float | None = None,
    ) -> dict[str, OperationOutcome]:
        """Test ``operations`` in one engine run; an outcome per operation label.

        Every request goes to the API's origin only. On a protected environment the run
        happens behind a read-only ``transport_guard``: should schemathesis ever try a method
        the policy does not allow, the request is stopped before it leaves and the test fails
        naming it. ``deadline`` (``time.monotonic()``) stops the run; see :func:`execute`.
        """
        from schemathesis.config import SanitizationConfig

        from pytest_prodready.contracts.engine import Reproduction, execute, transport_guard

        schema, seed = self.schema(phases)
        reproduction = Reproduction(
            render=partial(
                curl_command,
                secret_headers=self.secret_headers(),
                masked=frozenset(SanitizationConfig().keys_to_sanitize),
                ca_bundle=self.env.ca_bundle,
            ),
            scrub=self.runtime.redactor.scrub,
        )
        labels = [operation.label for operation in operations]
        with transport_guard(
            read_only=self.protected,
            budget_s=self.env.contract.request_timeout_s or self.env.timeout_s,
            max_body_mb=self.env.max_body_mb,
            origin=origin_of(self.loaded.base_url),
        ) as transport:
            outcomes = execute(
                schema, labels, reproduction, seed=seed, transport=transport, deadline=deadline
            )
        refused = transport.refused
        if refused:
            pytest.fail(
                f"{READ_ONLY} schemathesis tried to send {len(refused)} request(s) with a "
                f"method other than GET/HEAD/OPTIONS to protected environment "
                f"{self.env.name!r} (first: {refused[0]}); every one was stopped before it "
                "was sent. This is a bug in pytest-prodready's read-only policy: please "
                "report it with your schemathesis version.",
                pytrace=False,
            )
        return outcomes


_SUITE_KEY = pytest.StashKey["ContractSuite | SchemaUnavailable | None"]()


def suite_of(config: pytest.Config) -> ContractSuite | SchemaUnavailable | None:
    """The run's contract suite, loaded on first use (None without an env or openapi)."""
    if _SUITE_KEY not in config.stash:
        from pytest_prodready.target.runtime import RUNTIME_KEY

        runtime = config.stash.get(RUNTIME_KEY, None)
        suite: ContractSuite | SchemaUnavailable | None = None
        if runtime is not None:
            loaded = load(runtime)
            suite = ContractSuite(runtime, loaded) if isinstance(loaded, LoadedSchema) else loaded
        config.stash[_SUITE_KEY] = suite
    return config.stash[_SUITE_KEY]


class ContractRunner:
    """Runs the engine on demand and hands each test its operation's outcome.

    ``pending()`` lists the operations of the selected, unskipped tests of this session.
    The first read-only test runs every pending read-only operation in one engine run. No
    unsafe method is sent before a test that sends them has passed the safety gate: the
    gate decides for the whole environment (protected, allowed, redirected), so once one
    such test runs, it runs every pending operation of its kind in one engine run too.
    Under xdist a worker cannot know the rest of its share, so each test runs alone.
    """

    def __init__(self, suite: ContractSuite, pending: Callable[[], list[Operation]]) -> None:
        self.suite = suite
        self._pending = pending
        self._outcomes: dict[str, OperationOutcome] = {}
        self._deadline: float | None = None

    def _time_left(self) -> float | None:
        """The run's deadline (set when the engine first runs), or None once it has passed."""
        if self._deadline is None:
            self._deadline = time.monotonic() + self.suite.env.contract.max_time_s
        return self._deadline if time.monotonic() < self._deadline else None

    def _cut(self) -> str:
        cap = self.suite.env.contract.max_time_s
        return (
            f"contract time cap reached: max_time_s = {cap:g} s in "
            f"[envs.{self.suite.env.name}.contract] ran out before this operation was "
            "tested; raise it, or narrow include/exclude"
        )

    def outcome(self, operation: Operation) -> OperationOutcome:
        """The outcome of testing ``operation`` (running the engine if not done yet); a
        skip naming the cap when the run's time cap came first."""
        if operation.label not in self._outcomes:
            unsafe = self.suite.sends_unsafe(operation)
            batch = [operation]
            batch += [
                other
                for other in self._pending()
                if other != operation
                and other.label not in self._outcomes
                and self.suite.sends_unsafe(other) == unsafe
            ]
            deadline = self._time_left()
            if deadline is None:
                self._outcomes.update({o.label: OperationOutcome(o.label, cut=True) for o in batch})
            else:
                self._outcomes.update(self.suite.run(batch, deadline=deadline))
        outcome = self._outcomes[operation.label]
        if outcome.cut:
            pytest.skip(self._cut())
        return outcome

    def workflows(self) -> list[OperationOutcome]:
        """Outcomes of the stateful phase over every selected operation."""
        deadline = self._time_left()
        if deadline is None:
            pytest.skip(self._cut())
        return list(
            self.suite.run(self.suite.operations, STATEFUL_PHASES, deadline=deadline).values()
        )


_RUNNER_KEY = pytest.StashKey[ContractRunner]()


def _pending(session: pytest.Session) -> list[Operation]:
    pending = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        operation = callspec.params.get("contract_operation") if callspec is not None else None
        if isinstance(operation, Operation) and item.get_closest_marker("skip") is None:
            pending.append(operation)
    return pending


def runner(request: pytest.FixtureRequest) -> ContractRunner:
    """The session's :class:`ContractRunner` (the suite was loaded at collection)."""
    config = request.config
    if _RUNNER_KEY not in config.stash:
        suite = suite_of(config)
        assert isinstance(suite, ContractSuite), "collection gives tests no operation otherwise"
        session = request.session
        # An xdist worker is sent its tests one by one: it cannot batch what it will get.
        worker = hasattr(config, "workerinput")
        config.stash[_RUNNER_KEY] = ContractRunner(
            suite, (lambda: []) if worker else (lambda: _pending(session))
        )
    return config.stash[_RUNNER_KEY]
