"""Static files copied into the site (local only: no CDN)."""
