"""API read mix: GET operations of a JSON items API (the embedded demo's shape).

A plain locustfile, for pytest-prodready and the locust CLI alike::

    locust -f locustfiles/api_read.py --headless -u 20 -r 10 -t 60s -H https://api.example.com \\
        --prodready-p95-ms 300 --prodready-error-rate 0.01

Mostly single-item reads, some listings, a version read, and now and then a lookup of an
item that does not exist, which must answer 404 (a miss is normal traffic, a 500 is not).
Requests are named by route (``/api/items/{id}``) so the SLOs apply per operation.
"""

from __future__ import annotations

import random

from locust import task

from pytest_prodready.locust_plugin import ProdreadyUser

ITEMS = "/api/items"
FALLBACK_IDS = (1,)


class ApiReader(ProdreadyUser):
    think_time = (0.5, 2.0)

    def on_start(self) -> None:
        self.ids = self.list_ids() or list(FALLBACK_IDS)

    def list_ids(self) -> list[int]:
        with self.client.get(f"{ITEMS}?limit=20", name=ITEMS, catch_response=True) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure("the item listing is not JSON")
                return []
        if not isinstance(body, list):
            return []
        return [item["id"] for item in body if isinstance(item, dict) and "id" in item]

    @task(3)
    def list_items(self) -> None:
        self.list_ids()

    @task(8)
    def get_item(self) -> None:
        self.client.get(f"{ITEMS}/{random.choice(self.ids)}", name=f"{ITEMS}/{{id}}")

    @task(1)
    def missing_item(self) -> None:
        # Id 0 is never issued: a correct API answers 404, quickly.
        name = f"{ITEMS}/{{id}} (missing)"
        with self.client.get(f"{ITEMS}/0", name=name, catch_response=True) as response:
            if response.status_code == 404:
                response.success()
            else:
                response.failure(f"expected 404 for a missing item, got {response.status_code}")

    @task(1)
    def version(self) -> None:
        self.client.get("/api/version")
