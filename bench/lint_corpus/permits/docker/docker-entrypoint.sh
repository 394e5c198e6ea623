#!/bin/sh
set -e

# DATABASE_HOST/PORT come from the environment; wait so migrate does not race the database
wait-for-it.sh "${DATABASE_HOST:-db}:${DATABASE_PORT:-5432}" --timeout=60 --strict

if [ "${DJANGO_MIGRATE:-1}" = "1" ]; then
    python manage.py migrate --noinput
fi

exec "$@"
