"""Video with the system's ffmpeg: Playwright records through its own ffmpeg build, found at
``<registry>/ffmpeg-<revision>/ffmpeg-linux``, which only its download provides. Where that
download cannot work, a prodready-owned registry directory links the system ffmpeg (Debian's
``ffmpeg`` package) into that place, beside links to everything the user's registry holds,
and ``PLAYWRIGHT_BROWSERS_PATH`` points the driver at it before it starts."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FFMPEG_VAR", "VideoSupport", "enable_system_ffmpeg"]

FFMPEG_VAR = "PRODREADY_FFMPEG"
REGISTRY_VAR = "PLAYWRIGHT_BROWSERS_PATH"
_NAMES = {"linux": "ffmpeg-linux", "darwin": "ffmpeg-mac", "win32": "ffmpeg-win64.exe"}


@dataclass(frozen=True)
class VideoSupport:
    """Whether Playwright can record video, and with which ffmpeg (or why not)."""

    ffmpeg: Path | None
    problem: str | None = None


def _revision() -> str | None:
    try:
        import playwright
    except ImportError:
        return None
    listing = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    try:
        browsers = json.loads(listing.read_text(encoding="utf-8"))["browsers"]
    except (OSError, ValueError, KeyError):
        return None
    return next((str(b["revision"]) for b in browsers if b.get("name") == "ffmpeg"), None)


def _default_registry(environ: MutableMapping[str, str]) -> Path:
    configured = environ.get(REGISTRY_VAR)
    if configured and configured != "0":
        return Path(configured)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    cache = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ms-playwright"


def _link(target: Path, link: Path) -> None:
    try:
        link.symlink_to(target)
    except FileExistsError:
        # Another process (an xdist worker) made it first; a stale link is replaced.
        if link.is_symlink() and Path(os.readlink(link)) != target:
            link.unlink()
            link.symlink_to(target)


def enable_system_ffmpeg(
    environ: MutableMapping[str, str] = os.environ,
    *,
    which: Callable[[str], str | None] = shutil.which,
    home: Path | None = None,
) -> VideoSupport:
    """Make Playwright's video recording find an ffmpeg, changing ``environ`` if needed."""
    name = _NAMES.get(sys.platform)
    revision = _revision()
    if name is None or revision is None:
        return VideoSupport(None, "this Playwright does not say which ffmpeg it records with")
    registry = _default_registry(environ)
    own = registry / f"ffmpeg-{revision}" / name
    if own.is_file() and os.access(own, os.X_OK):
        return VideoSupport(own)
    configured = environ.get(FFMPEG_VAR)
    found = configured or which("ffmpeg")
    if not found or not (Path(found).is_file() and os.access(found, os.X_OK)):
        source = (
            f"${FFMPEG_VAR} points at {configured}, not an executable"
            if configured
            else ("no ffmpeg on PATH")
        )
        return VideoSupport(
            None,
            f"video off: Playwright's ffmpeg is not installed and {source} "
            "(Debian/Ubuntu: apt-get install ffmpeg, or set PRODREADY_FFMPEG)",
        )
    system = Path(found).resolve()
    base = home or Path(tempfile.gettempdir()) / f"prodready-playwright-{os.getuid()}"
    ours = base / "registry"
    (ours / f"ffmpeg-{revision}").mkdir(parents=True, exist_ok=True)
    if registry.is_dir() and registry.resolve() != ours.resolve():
        for entry in registry.iterdir():
            if entry.name != f"ffmpeg-{revision}":
                _link(entry.resolve(), ours / entry.name)
    _link(system, ours / f"ffmpeg-{revision}" / name)
    environ[REGISTRY_VAR] = str(ours)
    return VideoSupport(system)
