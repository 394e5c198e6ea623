#!/bin/sh
# Apply database migrations (unless DJANGO_MIGRATE=0), then run the command.
set -e
if [ "${DJANGO_MIGRATE:-1}" = "1" ]; then
  python manage.py migrate --noinput
fi
exec "$@"
