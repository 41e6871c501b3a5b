"""The exceptions the SDK raises: one class per gRPC status the scheduler answers with.

Every error carries the scheduler's message unchanged (it names the field, job or token
problem) in ``str(error)`` and ``error.message``, and the gRPC code in ``error.code``.
"""
from __future__ import annotations

from typing import Optional

import grpc

from ptune.v1 import job_service_pb2


class PtuneError(Exception):
    """Base class of every error the SDK raises.

    Attributes:
        code: the gRPC status code (``grpc.StatusCode``); ``None`` for errors found locally.
        message: the scheduler's (or the SDK's) explanation.
    """

    code: Optional[grpc.StatusCode] = None

    def __init__(self, message: str, code: Optional[grpc.StatusCode] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgumentError(PtuneError):
    """A bad request, e.g. an invalid spec; the message names the field path."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFoundError(PtuneError):
    """No such job or artifact (another tenant's job also reads as not found)."""

    code = grpc.StatusCode.NOT_FOUND


class FailedPreconditionError(PtuneError):
    """The job's state does not allow the call, e.g. cancelling a finished job."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhaustedError(PtuneError):
    """The queue or the tenant's quota is full; retry later."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class AuthenticationError(PtuneError):
    """A missing or unknown token (UNAUTHENTICATED)."""

    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDeniedError(PtuneError):
    """The token is valid but may not make this call."""

    code = grpc.StatusCode.PERMISSION_DENIED


class UnavailableError(PtuneError):
    """The scheduler could not be reached (after the SDK's retries)."""

    code = grpc.StatusCode.UNAVAILABLE


class DataLossError(PtuneError):
    """A downloaded artifact's size or sha256 does not match what the scheduler announced."""

    code = grpc.StatusCode.DATA_LOSS


class JobEndedError(PtuneError):
    """Raised by :meth:`ptune.Client.wait` when the job did not succeed.

    Attributes:
        job: the final ``ptune.v1.Job`` (``state_reason`` says why).
    """

    def __init__(self, message: str, job: job_service_pb2.Job) -> None:
        super().__init__(message)
        self.job = job


class JobFailedError(JobEndedError):
    """The job ended FAILED."""


class JobCancelledError(JobEndedError):
    """The job ended CANCELLED."""


_BY_CODE = {cls.code: cls for cls in (
    InvalidArgumentError, NotFoundError, FailedPreconditionError, ResourceExhaustedError,
    AuthenticationError, PermissionDeniedError, UnavailableError, DataLossError)}


def from_rpc_error(error: grpc.RpcError, target: str) -> PtuneError:
    """The SDK exception for a failed call, keeping the server's message."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else None
    message = details or f"{code.name.lower()} ({target})"
    if code == grpc.StatusCode.UNAVAILABLE:
        message = f"scheduler {target} unavailable: {message}"
    cls = _BY_CODE.get(code)
    return cls(message) if cls else PtuneError(message, code)
