"""Job queues outside the process (Redis): they carry job ids only, the jobs table keeps the rest."""
