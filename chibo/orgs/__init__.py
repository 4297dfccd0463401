"""Units of the party organisation tree, role grants and the access chokepoint."""
