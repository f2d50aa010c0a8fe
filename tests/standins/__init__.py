"""Local stand-in servers that keep to the real protocols (for tests)."""
