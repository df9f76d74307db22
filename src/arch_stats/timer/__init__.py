"""The range timer: a club's World Archery shooting clock, on its screens, live."""
