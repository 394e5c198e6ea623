"""Data written by the site's periodic task."""
from django.db import models


class Heartbeat(models.Model):
    """One execution of ``core.tasks.record_heartbeat``: proof that beat scheduled and a worker ran it."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    hostname = models.CharField(max_length=255)
    task_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"heartbeat from {self.hostname} at {self.created_at:%Y-%m-%d %H:%M:%S}"
