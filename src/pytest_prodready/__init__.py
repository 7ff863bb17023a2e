"""pytest-prodready: is this deployment production-ready, right now?"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
