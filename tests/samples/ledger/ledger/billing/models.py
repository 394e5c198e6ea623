from django.db import models


class Invoice(models.Model):
    number = models.CharField(max_length=32, unique=True)
    amount_cents = models.PositiveIntegerField()
    issued_on = models.DateField()

    def __str__(self):
        return self.number


class Tick(models.Model):
    """One run of the periodic task `record_tick`: proof that beat scheduled it and a worker ran it."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    worker = models.CharField(max_length=255)

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"tick from {self.worker} at {self.at:%Y-%m-%d %H:%M:%S}"
