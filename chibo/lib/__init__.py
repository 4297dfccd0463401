"""Plain helpers shared by every app: no models, no imports from chibo apps."""
