"""Qt only presents and edits: it reads the document and the latest Metrics."""
