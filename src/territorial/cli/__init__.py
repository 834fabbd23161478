"""The `territorial` command line: thin wrappers that parse options, call services and render."""
