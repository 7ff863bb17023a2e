"""``python -m pytest_prodready init URL``: the ``prodready`` command, without its script."""

from __future__ import annotations

import sys

from pytest_prodready.init.cli import main

if __name__ == "__main__":
    sys.exit(main())
