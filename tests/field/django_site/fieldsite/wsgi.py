"""WSGI entry point for gunicorn: ``python -m gunicorn fieldsite.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldsite.settings")

application = get_wsgi_application()
