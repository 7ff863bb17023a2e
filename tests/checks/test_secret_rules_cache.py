"""The ruleset's patterns kept in a cache: read from it under the same detect-secrets version,
without importing detect-secrets (and ``requests`` with it); made again when the version or
the entry is not right.

Each case runs in a fresh interpreter: what is imported, and the module's primed state, are
per process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pytest_prodready.checks import secret_rules

# A store backed by one JSON file, then a scan of a text holding a GitHub token (a ruleset
# pattern) and a Stripe webhook secret (one of ours).
SCRIPT = """
import json, sys
from pathlib import Path
from pytest_prodready.checks import secret_rules

class FileStore:
    def __init__(self, path):
        self.path = Path(path)
    def get(self, key, default):
        data = json.loads(self.path.read_text()) if self.path.exists() else {}
        return data.get(key, default)
    def set(self, key, value):
        data = json.loads(self.path.read_text()) if self.path.exists() else {}
        data[key] = value
        self.path.write_text(json.dumps(data))

secret_rules.prime(FileStore(sys.argv[1]))
token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
kinds = sorted({m.kind for m in secret_rules.scan(f"x={token}; y=whsec_{'Ab3' * 8}")})
print(json.dumps({"kinds": kinds, "imported": "detect_secrets" in sys.modules,
                  "requests": "requests" in sys.modules}))
"""


def _run(store: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(store)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _entry(store: Path) -> dict[str, object]:
    entry: dict[str, object] = json.loads(store.read_text())[secret_rules.CACHE_KEY]
    return entry


def test_first_run_imports_the_ruleset_and_keeps_it_then_the_next_reads_it(
    tmp_path: Path,
) -> None:
    store = tmp_path / "cache.json"
    first = _run(store)
    assert first["imported"] is True
    entry = _entry(store)
    assert entry["version"]
    assert isinstance(entry["rules"], list)
    assert entry["rules"]

    second = _run(store)
    assert second["imported"] is False
    assert second["requests"] is False
    # The same verdicts either way: a ruleset key and one of ours.
    assert second["kinds"] == first["kinds"]
    assert len(first["kinds"]) == 2, first["kinds"]


def test_another_detect_secrets_version_or_a_broken_entry_is_made_again(tmp_path: Path) -> None:
    store = tmp_path / "cache.json"
    _run(store)
    good = _entry(store)
    for bad in (
        {**good, "version": "0.0.1"},
        {**good, "rules": [["only", "three", "fields"]]},
        "not a table",
    ):
        store.write_text(json.dumps({secret_rules.CACHE_KEY: bad}))
        again = _run(store)
        assert again["imported"] is True
        assert _entry(store) == good
