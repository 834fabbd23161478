"""The REST API (`territorial serve`): thin routes over the same services the CLI uses."""
