"""Which environment a run targets, its run state, the release gate and the embedded demo."""
