"""Leagues: a club's season of competitions and its table, by raw score or Archery GB
handicap-adjusted points, best N of M counting (`table`), and its public page."""
