from django.urls import path

from ledger import health
from ledger.billing import views

urlpatterns = [
    path("", views.summary, name="summary"),
    path("healthz", health.healthz, name="healthz"),
]
