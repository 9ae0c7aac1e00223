"""crm capability."""
