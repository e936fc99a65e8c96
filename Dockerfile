# The `retention` image: the release binary built in a Rust image, then a slim Debian runtime
# running as a non-root user with `retention` as the entrypoint and the default config inside.
#   docker build -t retention:latest .
# Without access to a registry (no rust image to pull), build the same runtime stage from a
# binary built on the host instead: docker/build-image.sh (uses docker/Dockerfile.runtime).
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p retention-cli \
 && cp target/release/retention /src/retention

FROM debian:bookworm-slim AS runtime
# A fixed non-root uid, so volume ownership is predictable; /data is where landing files go,
# and a named volume mounted there starts as a copy of it, owned by that user.
RUN groupadd --system --gid 10001 retention \
 && useradd --system --uid 10001 --gid retention --home-dir /opt/retention --no-create-home \
      --shell /usr/sbin/nologin retention \
 && mkdir -p /data /opt/retention \
 && chown retention:retention /data
COPY config /opt/retention/config
# The default --config (config/retention.yaml) is relative to the working directory.
WORKDIR /opt/retention
ENV RETENTION_DATA_DIR=/data
VOLUME ["/data"]
USER retention:retention
ENTRYPOINT ["/usr/local/bin/retention"]
CMD ["--help"]
COPY --from=build /src/retention /usr/local/bin/retention
