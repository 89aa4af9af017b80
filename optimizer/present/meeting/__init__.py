"""The meeting page: `pbo serve` (app), what it shows (views) and its front end (static/)."""
