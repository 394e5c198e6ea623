#!/bin/sh
set -e
exec celery --app ledger.worker worker --concurrency 2 --loglevel INFO
