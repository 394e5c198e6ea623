# Pre-migration image of the ledger's web process (one Dockerfile per service).
# Superseded by deployment/Dockerfile.multistage; kept as the starting point that
# `dockyard init` reads.
FROM python:3.13-slim

ENV PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=ledger.settings.production

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/production.txt
COPY . .

RUN DATABASE_URL=postgres://x@localhost/x REDIS_URL=redis://localhost:6379/0 DJANGO_SECRET_KEY=x \
    python manage.py collectstatic --noinput

EXPOSE 5000
CMD ["sh", "scripts/start-web.sh"]
