"""Training recipes: functions that run a whole job and return a report."""
