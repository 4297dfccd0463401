"""Meeting quality scoring by a versioned rubric, compliance and annual classification."""
