# Production image for the web and worker services of docker-compose.yml.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 ATELIER_VAR_DIR=/var/lib/atelier
# bubblewrap: Execute Python Script's sandbox (the module is off unless ATELIER_ALLOW_PYTHON_SCRIPT=1).
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY studio/ studio/
COPY experiments/ experiments/
COPY webservices/ webservices/
RUN pip install --no-cache-dir .
COPY manage.py ./
COPY templates/ templates/
COPY static/ static/
COPY --from=frontend /src/static/frontend/ static/frontend/
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /var/lib/atelier atelier && mkdir -p /var/lib/atelier \
    && chown atelier /var/lib/atelier
USER atelier
EXPOSE 8000
CMD ["gunicorn", "studio.asgi:application", "-k", "uvicorn_worker.UvicornWorker", "--bind", "0.0.0.0:8000"]
