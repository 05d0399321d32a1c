"""Text views of the facade's models, shared by the terminal front ends (CLI, demo)."""
