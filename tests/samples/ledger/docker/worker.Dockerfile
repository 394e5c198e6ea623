# Pre-migration image of the ledger's Celery worker.
FROM python:3.13-slim

ENV PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=ledger.settings.production

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/production.txt
COPY . .

CMD ["sh", "scripts/start-worker.sh"]
