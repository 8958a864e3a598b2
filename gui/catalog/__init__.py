"""The catalog's pages: a model, a dataset, an evaluation, a profile, and the import dialogs."""
