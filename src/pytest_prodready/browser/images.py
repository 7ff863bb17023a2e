"""Images as a browser loaded them: format, size for where they are shown, cache lifetime and
lazy loading below the fold.

Thresholds (each documented in docs/browser.md):

- a legacy format (JPEG, PNG, GIF, BMP) of more than 10 KB, when the browser accepted AVIF and
  WebP (Chromium always does): the modern formats are 25-50 % smaller at the same quality;
- more than twice the pixels the screen shows (rendered CSS size x devicePixelRatio, both
  ways) and more than 50 KB wasted, estimated as Lighthouse's uses-responsive-images does
  (bytes x the share of pixels not shown): a 2x step is what srcset's 1x/2x candidates leave;
- a browser cache lifetime (Cache-Control max-age) under 30 days, or no-store / no-cache, as
  Lighthouse's uses-long-cache-ttl and our cache.static-not-immutable count it;
- below the fold (its top under the first viewport) without ``loading="lazy"`` and fetched
  during the load: an image a script loads later (data-src and an IntersectionObserver) is
  not fetched then, so it is not counted.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_prodready.browser.facts import AuditFacts, ImageFact
from pytest_prodready.checks.caching import STATIC_MIN_AGE
from pytest_prodready.checks.grammar import parse_cache_control
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = [
    "IMAGES_LEGACY_FORMAT",
    "IMAGES_NOT_LAZY",
    "IMAGES_OVERSIZED",
    "IMAGES_SHORT_CACHE",
    "LEGACY_MIN_BYTES",
    "OVERSIZED_AREA_RATIO",
    "OVERSIZED_WASTE_BYTES",
    "images",
]

LEGACY_MIN_BYTES = 10 * 1024
OVERSIZED_AREA_RATIO = 2.0
OVERSIZED_WASTE_BYTES = 50 * 1024
LEGACY_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/gif", "image/bmp"})
# Vector and icon formats scale or are tiny: never legacy, never oversized.
_VECTOR_TYPES = frozenset({"image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon"})

IMAGES_LEGACY_FORMAT = rule(
    "images.legacy-format",
    Severity.LOW,
    "An image is served as JPEG/PNG/GIF to a browser that accepts AVIF or WebP",
    "Serve AVIF or WebP to browsers that accept them (Accept: image/avif,image/webp): "
    "next/image does it (images.formats in next.config.js), so do image CDNs (Cloudflare "
    "Polish, imgix auto=format); or convert at build time and use <picture>.",
)
IMAGES_OVERSIZED = rule(
    "images.oversized",
    Severity.MEDIUM,
    "An image has far more pixels than the page shows it with",
    "Resize it to the size it is shown at (times the screen's pixel ratio) and offer "
    "candidates: srcset with sizes, next/image with width/height or sizes, or an image CDN's "
    "width parameter.",
)
IMAGES_SHORT_CACHE = rule(
    "images.short-cache",
    Severity.LOW,
    "An image is cached by browsers for less than 30 days",
    "Serve images under versioned (fingerprinted) URLs with Cache-Control: public, "
    "max-age=31536000, immutable; next/image sets minimumCacheTTL, a CDN rule can set it.",
)
IMAGES_NOT_LAZY = rule(
    "images.not-lazy",
    Severity.LOW,
    'An image below the fold is fetched during the load (no loading="lazy")',
    'Add loading="lazy" (and width/height) to images under the first screen: next/image '
    "does it by default; keep eager loading (and fetchpriority=high) for the hero only.",
)


def images(facts: AuditFacts) -> list[Finding]:
    """Every image finding of a page, one per image and concern."""
    findings: list[Finding] = []
    for image in _unique(facts.images):
        findings += _legacy(image, facts.url)
        findings += _oversized(image, facts.device_pixel_ratio, facts.url)
        findings += _short_cache(image, facts.url)
        findings += _not_lazy(image, facts.viewport_height, facts.url)
    return findings


def _unique(found: Iterable[ImageFact]) -> list[ImageFact]:
    # The same URL shown twice is one download: judged once, at its first (highest) place.
    seen: dict[str, ImageFact] = {}
    for image in found:
        seen.setdefault(image.url, image)
    return list(seen.values())


def _kind(image: ImageFact) -> str:
    return (image.content_type or "").split(";", 1)[0].strip().lower()


def _size(count: int | None) -> str:
    if count is None:
        return "size unknown"
    return f"{count / 1024:.0f} KB" if count >= 1024 else f"{count} B"


def _legacy(image: ImageFact, page: str) -> list[Finding]:
    if not image.requested or _kind(image) not in LEGACY_TYPES:
        return []
    if image.bytes is None or image.bytes <= LEGACY_MIN_BYTES:
        return []
    return [
        IMAGES_LEGACY_FORMAT(
            f"{image.url}: {_kind(image)}, {_size(image.bytes)}, though the browser accepted "
            "image/avif and image/webp",
            url=page,
        )
    ]


def _oversized(image: ImageFact, ratio: float, page: str) -> list[Finding]:
    if not image.requested or _kind(image) in _VECTOR_TYPES or not image.bytes:
        return []
    shown = image.rendered_width * ratio * image.rendered_height * ratio
    natural = image.natural_width * image.natural_height
    if shown <= 0 or natural <= OVERSIZED_AREA_RATIO * shown:
        return []
    wasted = image.bytes * (1 - shown / natural)
    if wasted <= OVERSIZED_WASTE_BYTES:
        return []
    return [
        IMAGES_OVERSIZED(
            f"{image.url}: {image.natural_width}x{image.natural_height} px, {_size(image.bytes)}, "
            f"shown at {image.rendered_width:.0f}x{image.rendered_height:.0f} CSS px "
            f"(device pixel ratio {ratio:g}): about {_size(int(wasted))} wasted",
            url=page,
        )
    ]


def _short_cache(image: ImageFact, page: str) -> list[Finding]:
    if not image.requested or image.url.startswith(("data:", "blob:")):
        return []
    value = image.cache_control
    directives = parse_cache_control(value or "")
    age = directives.get("max-age")
    seconds = int(age) if age is not None and age.isdigit() else 0
    if "no-store" not in directives and "no-cache" not in directives and seconds >= STATIC_MIN_AGE:
        return []
    said = f"Cache-Control: {value}" if value else "no Cache-Control"
    return [IMAGES_SHORT_CACHE(f"{image.url}: {said}", url=page)]


def _not_lazy(image: ImageFact, viewport_height: float, page: str) -> list[Finding]:
    if not image.requested or image.loading.lower() == "lazy" or viewport_height <= 0:
        return []
    if image.top < viewport_height or image.rendered_width * image.rendered_height <= 0:
        return []
    return [
        IMAGES_NOT_LAZY(
            f"{image.url}: its top is at {image.top:.0f} px, under the first "
            f'{viewport_height:.0f} px, and it has no loading="lazy" ({_size(image.bytes)} '
            "fetched during the load)",
            url=page,
        )
    ]
