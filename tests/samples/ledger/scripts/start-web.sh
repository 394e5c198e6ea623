#!/bin/sh
set -e
python manage.py migrate --noinput
exec gunicorn ledger.wsgi:application --bind 0.0.0.0:5000 --workers 2 --access-logfile -
