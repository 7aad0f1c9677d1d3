"""The evaluation's steps, called from the notebooks (one module per notebook concern)."""
