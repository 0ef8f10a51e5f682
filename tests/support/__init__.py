"""Test helpers shared across test packages (servers on loopback)."""
