"""syndup."""
