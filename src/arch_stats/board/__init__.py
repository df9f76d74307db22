"""The club live board: who is shooting now in a club, live, and its public links."""
