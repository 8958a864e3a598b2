"""The data scientist's side of a review: a returned receipt, verified."""
