"""The card's Testing Commands over real containers: their health, the compose test stack, one
module per `invoke test.*` task, and Celery's log read."""
