#!/bin/bash
set -o errexit
set -o nounset
python /app/manage.py migrate --noinput
python /app/manage.py collectstatic --noinput
exec /usr/local/bin/gunicorn newsletter.wsgi --bind 0.0.0.0:8000 --chdir=/app --workers 3
