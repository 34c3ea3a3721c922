"""One module per resource; each declares its own router."""
