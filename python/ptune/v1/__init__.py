"""The generated protobuf and gRPC modules of the public API, package ``ptune.v1``.

Generated from ``proto/ptune/v1/*.proto`` by ``python/tools/generate_protos.py``; do not
edit them by hand. Most programs use :class:`ptune.Client` instead and only meet these
types as return values (``Job``, ``WorkerInfo``) or to build a ``JobSpec``.
"""
