"""Routes: Django's own auth views under /accounts/, the portal, and the JSON API."""

from django.urls import include, path
from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("api/health", views.health, name="health"),
    path("api/health/detailed", views.health_detailed, name="health-detailed"),
    path("api/version", views.version, name="version"),
    path("api/webhooks/stripe", views.stripe_webhook, name="stripe-webhook"),
]
