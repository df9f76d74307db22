"""Rounds of an archer's or a club's own, and what a session shot to a round follows."""
