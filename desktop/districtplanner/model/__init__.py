"""The document a user edits. Plain Python; announces changes with psygnal. Never imports Qt."""
