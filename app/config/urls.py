"""URL routes of the reference site."""
from core import views
from django.urls import path

urlpatterns = [
    path("", views.home, name="home"),
    path("heartbeats/", views.heartbeats, name="heartbeats"),
    path("health/", views.health, name="health"),
]
