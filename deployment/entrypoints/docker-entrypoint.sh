#!/bin/sh
# Apply database migrations before the site's servers start (gunicorn, celery worker),
# unless DJANGO_MIGRATE=0. One-off commands (`docker run IMAGE id`) run untouched.
set -e
case "$1 ${2:-} ${3:-} ${4:-}" in
  gunicorn*|celery*worker*|celery*beat*)
    if [ "${DJANGO_MIGRATE:-1}" = "1" ]; then
      python manage.py migrate --noinput -v 0
    fi
    ;;
esac
exec "$@"
