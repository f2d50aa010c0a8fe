"""Demo ML repository used by `lineage quickstart` and the tests."""
