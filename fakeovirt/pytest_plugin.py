"""fakeovirt's pytest plugin (placeholder until its fixtures are built)."""
