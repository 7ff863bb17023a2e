"""``prodready init URL``: probe a live target read-only and write a ``prodready.toml`` starter."""
