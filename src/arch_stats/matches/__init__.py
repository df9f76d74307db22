"""Head-to-head matches: brackets seeded from a competition's qualification ranking
(`bracket`), matches by the set system or cumulative score with shoot-offs decided by
distance from the centre (`rules`), and the API that draws, scores and advances them."""
