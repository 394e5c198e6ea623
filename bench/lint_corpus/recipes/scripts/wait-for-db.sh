#!/bin/sh
# Block until postgres answers, then run the given command.
set -e
until python -c "import psycopg, os; psycopg.connect(os.environ['DATABASE_URL']).close()" 2>/dev/null; do
    echo "waiting for the database..." >&2
    sleep 2
done
exec "$@"
