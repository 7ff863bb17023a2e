"""The HTTP client under every plain request: bounded, redacting, one response per URL."""

from pytest_prodready.http.client import (
    BAD_LOCATION,
    ResponseCache,
    describe_error,
    make_client,
    ssl_context,
)

__all__ = ["BAD_LOCATION", "ResponseCache", "describe_error", "make_client", "ssl_context"]
