"""Who may read or change whose data: the one policy every route and the live hub ask."""
