"""Clubs: members and roles, invites, consent to coaches, coach notes and the roster."""
