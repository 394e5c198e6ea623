#!/bin/sh
set -eu

# the SQLite fallback and uploaded QR codes live on a volume mounted at /app/data
mkdir -p /app/data
chown app:app /app/data

exec su-exec app "$@"
