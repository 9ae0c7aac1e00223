"""One exception family for every capability, so servers and agents can tell failures apart.

Messages are written for the model: they name the field or rule and say what to do next.
"""

from __future__ import annotations


class CadenciaError(Exception):
    """Base of every error a capability raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule

    def __str__(self) -> str:
        tags = ", ".join(f"{k}: {v}" for k, v in (("field", self.field), ("rule", self.rule)) if v)
        return f"[{self.code}] {self.message}" + (f" ({tags})" if tags else "")


class NotFound(CadenciaError):
    """An id that does not exist."""

    code = "not_found"


class InvalidArgument(CadenciaError):
    """An argument that is well-typed but breaks a rule (range, format, combination)."""

    code = "invalid_argument"


class PolicyViolation(CadenciaError):
    """A server-side invariant refused the change (caps, consent, floors, stock)."""

    code = "policy_violation"


class Conflict(CadenciaError):
    """The state changed under the caller: stale expected value, stale undo token, reused idempotency key."""

    code = "conflict"


class PermissionDenied(CadenciaError):
    """The caller's token lacks the scope this tool needs."""

    code = "permission_denied"


class VendorError(CadenciaError):
    """A vendor API refused the request."""

    code = "vendor_error"


class VendorUnavailable(VendorError):
    """A vendor API is down or rate-limiting; retrying later may work."""

    code = "vendor_unavailable"


class NotSupported(VendorError):
    """The configured vendor backend cannot do what this tool asks; nothing was changed."""

    code = "not_supported"
