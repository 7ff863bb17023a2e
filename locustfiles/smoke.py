"""Post-deploy smoke mix: the environment's pages and its health endpoints.

A plain locustfile: pytest-prodready runs it (``[envs.X.load] locustfile``), and so can the
locust CLI, with the same SLO gate::

    locust -f locustfiles/smoke.py --headless -u 10 -r 5 -t 60s -H https://staging.example.com \\
        --prodready-pages /,/login --prodready-p95-ms 500 --prodready-error-rate 0.01

Users behave like visitors: mostly pages, now and then a health probe (as a load balancer
does), with 1-3 s of think time; ``--prodready-think-time 0`` turns it into a throughput test.
"""

from __future__ import annotations

import random

from locust import task

from pytest_prodready.locust_plugin import ProdreadyUser, health_paths, page_paths


class SmokeVisitor(ProdreadyUser):
    think_time = (1.0, 3.0)

    def on_start(self) -> None:
        self.pages = page_paths(self.environment)
        self.health = health_paths(self.environment)

    @task(4)
    def page(self) -> None:
        self.client.get(random.choice(self.pages))

    @task(1)
    def health_check(self) -> None:
        self.client.get(random.choice(self.health))
