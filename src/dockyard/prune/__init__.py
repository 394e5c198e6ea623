"""`invoke prune`: what is removed and kept (plan), and doing it through the Engine (run)."""
