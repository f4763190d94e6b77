"""Fictional but plausible demo data, written in the real source formats.

The demo always goes through the real loaders: ``workbench demo-data`` writes RPLS CSV files,
landlord occupation workbooks, SNE attribution extracts and geography files under
``<home>/sources`` exactly as producers ship them. Everything is drawn from one seed, so the
same seed gives the same bytes.
"""

