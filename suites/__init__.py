"""The ready-made suites. Installed as ``pytest_prodready.suites``, so a project that only
installs the package runs them with ``pytest --pyargs pytest_prodready.suites``."""
