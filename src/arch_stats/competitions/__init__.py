"""Club competitions (issue 22): a club's competition with its categories, entries (members and
guests) and target list; scored at the bale into each archer's own session; ranked per
category by the round's rules (`arch_stats.ranking`), with a public live results link, a PDF
results sheet and CSV. See docs/competitions.md."""
