"""Use cases that tie reading, the engine and writing together; the CLI calls only these."""
