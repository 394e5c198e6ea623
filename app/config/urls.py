"""URL routes of the reference site."""
from django.urls import path

from core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("heartbeats/", views.heartbeats, name="heartbeats"),
    path("health/", views.health, name="health"),
]
