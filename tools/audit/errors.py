"""Errors raised by the audit log on purpose."""

from __future__ import annotations


class AuditError(Exception):
    """Base of every audit-log error (bad key file, unknown record, refused operation)."""


class RecordNotFound(AuditError):
    """A seq or tree size that the log does not hold."""


class AuditIntegrityError(AuditError):
    """The stored log no longer matches what was signed; run `verify` to locate the damage."""


class LegacyLogError(AuditError):
    """The log was written before records were signed; `cadencia audit migrate` checks it and brings it up to date."""
