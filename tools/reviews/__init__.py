"""reviews capability."""
