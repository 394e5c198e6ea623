#!/bin/sh
set -eu

# Started as root only to fix the ownership of the media volume, then drop to the app user.
if [ "$(id -u)" = "0" ]; then
    mkdir -p /app/media
    chown -R fieldnotes:fieldnotes /app/media
    exec gosu fieldnotes "$0" "$@"
fi

if [ "${1:-}" = "gunicorn" ]; then
    python manage.py migrate --noinput
fi

exec "$@"
