"""Interactive exploration: the firm-level benefit calculator and the browser app."""
