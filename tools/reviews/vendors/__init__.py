"""Reviews vendor adapters."""
