#!/bin/bash
set -o errexit
exec celery -A newsletter beat -l INFO
