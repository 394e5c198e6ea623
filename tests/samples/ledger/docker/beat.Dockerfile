# Pre-migration image of the ledger's Celery beat (exactly one must run).
FROM python:3.13-slim

ENV PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=ledger.settings.production

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/production.txt
COPY . .
RUN mkdir -p /app/var

CMD ["sh", "scripts/start-beat.sh"]
