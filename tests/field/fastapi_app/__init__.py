"""The field test bed's FastAPI target: a small shop API served by uvicorn over TLS.

``FIELD_FASTAPI_VARIANT`` picks the deployment: ``good`` is configured the way a careful team
configures FastAPI for production; ``misconfigured`` is the same service as teams ship it
wrong (see :mod:`tests.field.fastapi_app.settings`).
"""
