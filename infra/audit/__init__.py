"""The access audit: who read which case, when and from where."""

from infra.audit.port import AccessAudit, AccessRecord, AuditUnavailable, ReadAccess

__all__ = ["AccessAudit", "AccessRecord", "AuditUnavailable", "ReadAccess"]
