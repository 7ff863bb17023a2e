"""Load against SLOs with locust in a child process (which imports ``load.slo``, never pytest)."""
