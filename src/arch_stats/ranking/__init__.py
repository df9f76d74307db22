"""Rankings by the rules: archers' categories (`categories`) and their standings within one
(`standings`: counts, the tie-breaks of the round's scoring, equal progress, equal places).

Pure: no database, no I/O, no other domain. The club board uses it now (its frames carry each
archer's category, rule and counts); competitions rank their entries with it next."""
