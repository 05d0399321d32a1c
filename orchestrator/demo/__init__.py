"""`make demo`: the whole story, told by a client of the facade like any other."""
