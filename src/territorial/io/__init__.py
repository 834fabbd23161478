"""Reading and writing files: plans, accounts, reps and assignment results."""
