#!/bin/sh
# Pre-migration start script of the web container.
set -e
cd /srv/kanban/src
../.venv/bin/python manage.py migrate --noinput
exec ../.venv/bin/gunicorn kanban_site.wsgi:application --bind 0.0.0.0:8000 --workers 2 --threads 4 --access-logfile -
