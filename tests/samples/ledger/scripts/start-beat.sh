#!/bin/sh
set -e
rm -f /app/var/celerybeat.pid
exec celery --app ledger.worker beat --loglevel INFO \
  --schedule /app/var/celerybeat-schedule --pidfile /app/var/celerybeat.pid
