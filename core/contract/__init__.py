"""The handover contract: its document and schema, targets, stored drafts and the model card."""
