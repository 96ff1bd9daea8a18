"""Service evaluation (好差评): Ratings, rectification of bad ratings, consultations, complaints and statistics."""
