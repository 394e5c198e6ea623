from django.urls import path

from board import views
from kanban_site import status

urlpatterns = [
    path("", views.board, name="board"),
    path("status/ready/", status.ready, name="status-ready"),
]
