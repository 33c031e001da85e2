"""Developer tools that check the package; not part of its API."""
