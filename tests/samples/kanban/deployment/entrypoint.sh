#!/bin/sh
# Entrypoint of every Kanban image (run under tini).
# DJANGO_MIGRATE_ON_START=true applies migrations before the command; nothing else happens here.
set -e
if [ "${DJANGO_MIGRATE_ON_START:-false}" = "true" ]; then
  python manage.py migrate --noinput --verbosity 0
fi
exec "$@"
