"""The back office's forms, one module per area."""
