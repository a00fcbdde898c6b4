FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/stripe-gateway.sqlite3
WORKDIR /app
COPY pyproject.toml README.md ./
COPY stripe_gateway ./stripe_gateway
COPY fake_stripe ./fake_stripe
RUN pip install . && useradd --system --uid 10001 --home /app gateway \
    && mkdir /data && chown gateway /data
USER gateway
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["stripe-gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
