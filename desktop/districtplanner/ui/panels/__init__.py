"""One module per dock panel."""
