# ptune CUDA worker (image ptune-worker-cuda, used by deploy/k8s/overlays/gpu). NOT BUILT
# HERE: no GPU and no NVIDIA base image are reachable from the machines this project is
# developed on, so this file is only checked statically (tests/deploy/deploy_test.py:
# stages, pinned bases, flags, users, the packages it shares with scripts/setup.sh).
# Build it on a machine with registry access, from the repository root:
#   DOCKER_BUILDKIT=1 docker build -f docker/cuda.Dockerfile \
#     --build-arg LIBTORCH_SHA256=<sha256 of the zip> -t ptune-worker-cuda .
# and run it with the NVIDIA container toolkit (docker run --gpus all / the device
# plugin). The CUDA code paths of the worker are untested (docs/worker.md).
#
# LibTorch: the official CUDA build (its zip bundles the CUDA runtime, cuBLAS and cuDNN,
# so the runtime image needs only the driver the toolkit injects). The project is built
# and tested against Debian's LibTorch 1.13; 2.x is source-compatible for what the
# engine uses, but that too is unverified.
ARG CUDA_VERSION=12.6.3
ARG UBUNTU=ubuntu24.04

# --- build: CUDA toolkit (TorchConfig.cmake needs nvcc/CUDAToolkit) + the service deps --
FROM nvidia/cuda:${CUDA_VERSION}-cudnn-devel-${UBUNTU} AS build
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu126/libtorch-cxx11-abi-shared-with-deps-2.7.1%2Bcu126.zip
ARG LIBTORCH_SHA256=
ENV DEBIAN_FRONTEND=noninteractive
# The build packages of scripts/setup.sh without Debian's CPU LibTorch (Ubuntu 24.04
# names; deploy_test checks this list against setup.sh's).
RUN apt-get update -q && apt-get install -y -q --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates curl unzip \
      libicu-dev \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev \
      prometheus-cpp-dev libsqlite3-dev libssl-dev \
      libyaml-cpp-dev nlohmann-json3-dev libcli11-dev \
      nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN test -n "$LIBTORCH_SHA256" || { echo "set --build-arg LIBTORCH_SHA256" >&2; exit 1; } \
 && curl -fsSL -o /tmp/libtorch.zip "$LIBTORCH_URL" \
 && echo "$LIBTORCH_SHA256  /tmp/libtorch.zip" | sha256sum -c - \
 && unzip -q /tmp/libtorch.zip -d /opt && rm /tmp/libtorch.zip
WORKDIR /src
COPY scripts/setup.sh scripts/setup-node-reference.sh scripts/docker-runtime-packages.sh scripts/
ENV PTUNE_CACHE=/opt/ptune/cache
RUN bash scripts/setup.sh --no-apt && rm -rf /opt/ptune/cache/npm /opt/ptune/cache/node-ref
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake cmake
COPY proto proto
COPY common common
COPY worker worker
COPY server server
COPY client client
COPY tests tests
COPY bench bench
COPY examples examples
RUN cmake --preset default -DPTUNE_BUILD_TESTS=OFF -DPTUNE_BUILD_BENCHMARKS=OFF \
      -DCMAKE_PREFIX_PATH=/opt/libtorch >/dev/null \
 && cmake --build --preset default -j "$(nproc)" --target ptune-worker ptune-train ptunectl \
 && mkdir -p /out/bin && cp build/worker/agent/ptune-worker build/worker/engine/ptune-train \
      build/client/ptunectl /out/bin/ \
 && PTUNE_UNPACKAGED_LIBS=/opt/libtorch PTUNE_HOST_LIBS=libcuda.so.1 \
      scripts/docker-runtime-packages.sh /out/bin/* \
      >/out/runtime.packages

# --- runtime: the driver comes from the host (NVIDIA container toolkit) ------------------
FROM nvidia/cuda:${CUDA_VERSION}-base-${UBUNTU} AS worker-cuda
ENV DEBIAN_FRONTEND=noninteractive
# The packages that own the binaries' libraries, listed in the build stage from ldd.
COPY --from=build /out/runtime.packages /tmp/packages
RUN apt-get update -q && xargs -a /tmp/packages apt-get install -y -q --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/packages
COPY --from=build /opt/libtorch/lib /opt/libtorch/lib
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build /opt/ptune/cache /opt/ptune/cache
COPY examples /opt/ptune/examples
COPY docker/healthcheck.sh /usr/local/bin/ptune-healthcheck
ENV LD_LIBRARY_PATH=/opt/libtorch/lib PTUNE_CACHE=/opt/ptune/cache
RUN groupadd --system --gid 10001 ptune \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/ptune-worker ptune \
 && mkdir -p /var/lib/ptune-worker && chown ptune:ptune /var/lib/ptune-worker \
 && chmod -R a+rX /opt/ptune
USER ptune
WORKDIR /var/lib/ptune-worker
EXPOSE 9465
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["ptune-healthcheck", "9465", "ptune_worker_connected"]
# Defaults only: compose's command and the Kubernetes args replace all of CMD.
ENTRYPOINT ["ptune-worker"]
CMD ["--work-dir", "/var/lib/ptune-worker", "--metrics-listen", "0.0.0.0:9465", \
     "--scheduler", "scheduler:50051"]
