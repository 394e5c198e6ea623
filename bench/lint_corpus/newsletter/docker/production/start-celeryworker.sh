#!/bin/bash
set -o errexit
exec celery -A newsletter worker -l INFO --concurrency 2
