"""`/oneness`: the grammar (parse once) and the dispatch to features."""
