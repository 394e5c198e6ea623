#!/bin/sh
# Entrypoint of every ledger image.
#  - server commands (gunicorn, celery worker/beat/flower) wait up to 30 s for PostgreSQL;
#  - gunicorn applies migrations first unless RUN_MIGRATIONS=0; other commands do so
#    only with RUN_MIGRATIONS=1;
#  - anything else (`docker run IMAGE id`) runs untouched.
set -e

wait_for_database() {
  python - <<'PY'
import os, sys, time
import psycopg
from environ import Env

url = Env.db_url_config(os.environ["DATABASE_URL"])
deadline = time.monotonic() + 30
while True:
    try:
        psycopg.connect(host=url["HOST"], port=url["PORT"] or 5432, dbname=url["NAME"], user=url["USER"],
                        password=url["PASSWORD"], connect_timeout=2).close()
        break
    except psycopg.OperationalError:
        if time.monotonic() > deadline:
            sys.exit("entrypoint: PostgreSQL did not answer within 30 s")
        time.sleep(1)
PY
}

case "$1" in
  gunicorn)
    wait_for_database
    if [ "${RUN_MIGRATIONS:-1}" = "1" ]; then python manage.py migrate --noinput -v 0; fi
    ;;
  celery)
    wait_for_database
    if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then python manage.py migrate --noinput -v 0; fi
    ;;
esac
exec "$@"
