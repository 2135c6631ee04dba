"""Data files shipped with gateviz (bundled models, samples, icons, stylesheets)."""
