"""chibo: party cell meetings planned, held, recorded, scored, supervised and reported."""
