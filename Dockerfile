# syntax=docker/dockerfile:1
#
# Tessera image, laid out like the official redis image:
#   docker build -t tessera .
#   docker run -d -p 6379:6379 -v tessera-data:/data tessera
#   docker run -d tessera --port 7000 --maxmemory 1gb
#   docker run -d -v "$PWD/tessera.conf:/usr/local/etc/tessera.conf" tessera /usr/local/etc/tessera.conf
# `redis-server` is a symlink to `tessera`, so commands written for the redis image work.

FROM rust:1-bookworm AS builder
WORKDIR /src
# Only what the build needs (keeps a local target/ out of the layer). benches/ and tests/
# are listed because Cargo.toml declares targets there; add build.rs etc. here if added.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY tests ./tests
# mlua (vendored Lua 5.1) and tikv-jemallocator compile C code: gcc/make come with the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked \
 && install -m 0755 target/release/tessera /usr/local/bin/tessera

FROM debian:bookworm-slim

# add our user and group first to make sure their IDs get assigned consistently
# (999, as in the official redis image, so existing volumes keep working)
RUN set -eux; \
    groupadd -r -g 999 redis; \
    useradd -r -g redis -u 999 -d /data -s /usr/sbin/nologin redis

COPY --from=builder /usr/local/bin/tessera /usr/local/bin/tessera
RUN ln -s tessera /usr/local/bin/redis-server

COPY --chmod=0755 docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

RUN mkdir /data && chown redis:redis /data
VOLUME /data
WORKDIR /data

ENTRYPOINT ["docker-entrypoint.sh"]

EXPOSE 6379
CMD ["tessera", "--bind", "0.0.0.0", "--protected-mode", "no"]
