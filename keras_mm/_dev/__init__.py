"""Developer tools that check the package itself; nothing here is imported by the library."""
