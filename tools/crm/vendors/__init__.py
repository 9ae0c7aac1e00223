"""CRM vendor adapters."""
