"""Files in and out: readers, role and column guessing, CRS handling. Never imports Qt."""
