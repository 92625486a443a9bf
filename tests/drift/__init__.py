"""Schema drift against a labelled corpus of recording pairs."""
