"""The contract editor: the model page's Contract tab."""
