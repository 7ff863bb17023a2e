"""Which Chromium the browser suites launch, with which switches, and how it trusts a private CA.

No Playwright import here: finding the executable and pinning the target's certificate are file
and socket work, so importing the plugin stays cheap and this logic is testable without a browser.

Chromium does not read Python's CA bundle (it has its own root store), so a target behind a
private CA (the embedded demo's trustme CA, a staging CA in ``ca_bundle``) would fail with
``ERR_CERT_AUTHORITY_INVALID``. Instead of ``ignore_https_errors`` (which trusts anything), the
leaf certificate is first verified in Python against the environment's ``ca_bundle`` (chain
and host name), and only that leaf's public key is pinned with Chromium's
``--ignore-certificate-errors-spki-list``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

__all__ = [
    "AUTODETECT_VAR",
    "CHROMIUM_VAR",
    "Chromium",
    "autodetect_enabled",
    "chromium_switches",
    "find_chromium",
    "leaf_pin",
    "spki_sha256",
]

CHROMIUM_VAR = "PRODREADY_CHROMIUM"
AUTODETECT_VAR = "PRODREADY_CHROMIUM_AUTODETECT"
# First the path Debian's package installs, then the usual names on PATH, then macOS bundles.
SYSTEM_PATHS = ("/usr/bin/chromium",)
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MAC_PATHS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
# QUIC would bypass the TLS stack the pin applies to; the rest stop Chromium's own background
# traffic (updates, sync, field trials), so a run talks to the target only.
SWITCHES = (
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
_FALSE = frozenset({"0", "false", "no", "off"})
_TRUE = frozenset({"", "1", "true", "yes", "on"})
INSTALL_HINT = (
    "Install one (Debian/Ubuntu: apt-get install chromium; elsewhere, where downloads work: "
    f"python -m playwright install chromium), or point {CHROMIUM_VAR} or [browser] executable "
    "in prodready.toml at a Chrome/Chromium binary."
)


@dataclass(frozen=True)
class Chromium:
    """The browser to launch (``path`` None: use Playwright's own), where the choice came from,
    a lower-precedence source that was set too and lost (``overrides``), and, when there is
    none, the one line that says why and how to get one."""

    path: Path | None
    origin: str
    problem: str | None = None
    overrides: str | None = None

    @property
    def found(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        """The report header's words for it: the executable and where it came from."""
        if not self.found:
            if self.origin == "nowhere":
                return "none found"
            return f"none usable ({self.origin} does not name an executable file)"
        if self.path is None:
            return self.origin  # Playwright's own Chromium (its path)
        if self.origin == "auto-detected":
            return f"{self.path} (auto-detected)"
        over = f", over {self.overrides}" if self.overrides else ""
        return f"{self.path} (from {self.origin}{over})"


def autodetect_enabled(environ: Mapping[str, str]) -> bool:
    """``PRODREADY_CHROMIUM_AUTODETECT``: 0/false/no/off turns auto-detection off."""
    value = environ.get(AUTODETECT_VAR, "").strip().lower()
    if value in _FALSE:
        return False
    if value in _TRUE:
        return True
    raise pytest.UsageError(
        f"prodready: {AUTODETECT_VAR}={environ[AUTODETECT_VAR]!r} (from the environment) is "
        "not a switch. Use 0 (only the configured Chromium) or 1 (the default: also look for "
        "an installed one)."
    )


def _usable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_chromium(
    configured: Path | None,
    config_source: str,
    environ: Mapping[str, str],
    *,
    which: Callable[[str], str | None] = shutil.which,
    bundled: Callable[[], Path | None] = lambda: None,
) -> Chromium:
    """The Chromium to launch, by precedence: ``PRODREADY_CHROMIUM``, then ``[browser]
    executable`` in the config file, then (unless ``PRODREADY_CHROMIUM_AUTODETECT=0``) an
    installed Chromium or Chrome, then Playwright's own download if present. (The command
    line comes first: pytest-playwright's ``--browser-channel`` replaces all of these.)

    An explicit choice that does not exist is reported, never replaced by another browser: a
    run must not silently test with something other than what was asked for.
    """
    explicit: list[tuple[Path, str]] = []
    if environ.get(CHROMIUM_VAR):
        explicit.append((Path(environ[CHROMIUM_VAR]), f"{CHROMIUM_VAR} environment variable"))
    if configured is not None:
        explicit.append((configured, f"[browser] executable in {config_source}"))
    if explicit:
        (path, origin), lost = explicit[0], [o for _, o in explicit[1:]]
        if _usable(path):
            return Chromium(path, origin, overrides=lost[0] if lost else None)
        return Chromium(
            None,
            origin,
            f"prodready: no Chromium for the browser tests: {origin} points at {path}, which "
            f"is not an executable file. {INSTALL_HINT}",
        )
    if not autodetect_enabled(environ):
        return Chromium(
            None,
            "nowhere",
            "prodready: no Chromium for the browser tests: none is configured and "
            f"{AUTODETECT_VAR}=0 turns auto-detection off. {INSTALL_HINT}",
        )
    candidates = [Path(p) for p in SYSTEM_PATHS]
    candidates += [Path(found) for name in PATH_NAMES if (found := which(name))]
    candidates += [Path(p) for p in MAC_PATHS]
    for path in candidates:
        if _usable(path):
            return Chromium(path, "auto-detected")
    own = bundled()
    if own is not None and _usable(own):
        return Chromium(None, f"Playwright's own Chromium ({own})")
    looked = ", ".join([*SYSTEM_PATHS, *(f"{n} on PATH" for n in PATH_NAMES)])
    return Chromium(
        None,
        "nowhere",
        f"prodready: no Chromium found for the browser tests (looked for {looked}). {INSTALL_HINT}",
    )


def chromium_switches(*, root: bool, pins: Sequence[str] = ()) -> list[str]:
    """Command-line switches for the system Chromium (``root``: its sandbox refuses root)."""
    switches = list(SWITCHES)
    if root:
        switches.append("--no-sandbox")
    if pins:
        switches.append(f"--ignore-certificate-errors-spki-list={','.join(pins)}")
    return switches


def spki_sha256(der_certificate: bytes) -> str:
    """Base64 SHA-256 of a certificate's SubjectPublicKeyInfo: Chromium's pin format."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = x509.load_der_x509_certificate(der_certificate).public_key()
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def leaf_pin(base_url: str, ca_bundle: Path, timeout_s: float) -> str | None:
    """The pin of the leaf certificate ``base_url`` presents, if it verifies against
    ``ca_bundle`` for that host name; None when it does not (or nothing answers).

    Only the leaf is pinned: Chromium ignores errors when *any* certificate the server
    presents matches a pin, so pinning the CA's key would accept a forged leaf sent along with
    a copy of the (public) CA certificate.
    """
    import socket
    import ssl

    from pytest_prodready.http import ssl_context

    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    port = parts.port or 443
    try:
        with (
            socket.create_connection((parts.hostname, port), timeout=timeout_s) as sock,
            ssl_context(ca_bundle).wrap_socket(sock, server_hostname=parts.hostname) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        # Chromium then fails the page with the certificate error, and the TLS suite says why.
        return None
    return spki_sha256(der) if der else None
