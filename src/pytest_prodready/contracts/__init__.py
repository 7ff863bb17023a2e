"""API contracts with schemathesis, bounded and read-only on protected environments.

The door imports no schemathesis or requests: the engine loads them when a contract runs.
"""

from pytest_prodready.contracts.checks import evaluate
from pytest_prodready.contracts.collect import parametrize
from pytest_prodready.contracts.suite import ContractSuite, Operation, SchemaUnavailable, runner

__all__ = ["ContractSuite", "Operation", "SchemaUnavailable", "evaluate", "parametrize", "runner"]
