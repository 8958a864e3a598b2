"""The statements that build a new catalog, written out from the migrations by
``python -m baton.core.catalog.schema``: do not edit (see :mod:`~baton.core.catalog.schema`)."""

VERSION = 9

STATEMENTS = (
    (
        'CREATE TABLE "migrations" (\n'
        '   "version" INTEGER PRIMARY KEY,\n'
        '   "name" TEXT,\n'
        '   "applied_at" TEXT\n'
        ")"
    ),
    (
        'CREATE TABLE "models" (\n'
        '   "id" TEXT PRIMARY KEY,\n'
        '   "name" TEXT NOT NULL,\n'
        '   "description" TEXT,\n'
        '   "tags" TEXT,\n'
        '   "file_name" TEXT,\n'
        '   "format" TEXT NOT NULL,\n'
        '   "framework" TEXT,\n'
        '   "framework_version" TEXT,\n'
        '   "estimator" TEXT,\n'
        '   "task" TEXT,\n'
        '   "classes" TEXT,\n'
        '   "features" TEXT,\n'
        '   "params" INTEGER,\n'
        '   "size_bytes" INTEGER,\n'
        '   "sha256" TEXT NOT NULL,\n'
        '   "info" TEXT,\n'
        '   "safety" TEXT,\n'
        '   "created_at" TEXT NOT NULL\n'
        ")"
    ),
    ('CREATE UNIQUE INDEX "idx_models_name"\n    ON "models" ("name")'),
    (
        'CREATE TABLE "datasets" (\n'
        '   "id" TEXT PRIMARY KEY,\n'
        '   "name" TEXT NOT NULL,\n'
        '   "description" TEXT,\n'
        '   "tags" TEXT,\n'
        '   "role" TEXT,\n'
        '   "file_name" TEXT,\n'
        '   "format" TEXT NOT NULL,\n'
        '   "sha256" TEXT NOT NULL,\n'
        '   "fingerprint" TEXT NOT NULL,\n'
        '   "rows" INTEGER,\n'
        '   "columns" TEXT,\n'
        '   "column_names" TEXT,\n'
        '   "target" TEXT,\n'
        '   "id_column" TEXT,\n'
        '   "profile" TEXT,\n'
        '   "created_at" TEXT NOT NULL\n'
        ")"
    ),
    ('CREATE UNIQUE INDEX "idx_datasets_name"\n    ON "datasets" ("name")'),
    (
        'CREATE TRIGGER "models_ai" AFTER INSERT ON "models" BEGIN\n'
        '  INSERT INTO "models_fts" (rowid, "name", "description", "tags", "estimator", "file_name") VALUES (new.rowid, new."name", new."description", new."tags", new."estimator", new."file_name");\n'
        "END"
    ),
    (
        'CREATE TRIGGER "models_ad" AFTER DELETE ON "models" BEGIN\n'
        '  INSERT INTO "models_fts" ("models_fts", rowid, "name", "description", "tags", "estimator", "file_name") VALUES(\'delete\', old.rowid, old."name", old."description", old."tags", old."estimator", old."file_name");\n'
        "END"
    ),
    (
        'CREATE TRIGGER "models_au" AFTER UPDATE ON "models" BEGIN\n'
        '  INSERT INTO "models_fts" ("models_fts", rowid, "name", "description", "tags", "estimator", "file_name") VALUES(\'delete\', old.rowid, old."name", old."description", old."tags", old."estimator", old."file_name");\n'
        '  INSERT INTO "models_fts" (rowid, "name", "description", "tags", "estimator", "file_name") VALUES (new.rowid, new."name", new."description", new."tags", new."estimator", new."file_name");\n'
        "END"
    ),
    (
        'CREATE TRIGGER "datasets_ai" AFTER INSERT ON "datasets" BEGIN\n'
        '  INSERT INTO "datasets_fts" (rowid, "name", "description", "tags", "column_names", "file_name") VALUES (new.rowid, new."name", new."description", new."tags", new."column_names", new."file_name");\n'
        "END"
    ),
    (
        'CREATE TRIGGER "datasets_ad" AFTER DELETE ON "datasets" BEGIN\n'
        '  INSERT INTO "datasets_fts" ("datasets_fts", rowid, "name", "description", "tags", "column_names", "file_name") VALUES(\'delete\', old.rowid, old."name", old."description", old."tags", old."column_names", old."file_name");\n'
        "END"
    ),
    (
        'CREATE TRIGGER "datasets_au" AFTER UPDATE ON "datasets" BEGIN\n'
        '  INSERT INTO "datasets_fts" ("datasets_fts", rowid, "name", "description", "tags", "column_names", "file_name") VALUES(\'delete\', old.rowid, old."name", old."description", old."tags", old."column_names", old."file_name");\n'
        '  INSERT INTO "datasets_fts" (rowid, "name", "description", "tags", "column_names", "file_name") VALUES (new.rowid, new."name", new."description", new."tags", new."column_names", new."file_name");\n'
        "END"
    ),
    (
        'CREATE TABLE "trusted_keys" (\n'
        '   "fingerprint" TEXT PRIMARY KEY,\n'
        '   "name" TEXT NOT NULL,\n'
        '   "email" TEXT,\n'
        '   "public_pem" TEXT NOT NULL,\n'
        '   "trusted_at" TEXT NOT NULL,\n'
        '   "revoked_at" TEXT,\n'
        '   "revoked_reason" TEXT\n'
        ")"
    ),
    (
        'CREATE TABLE "handovers" (\n'
        '   "id" TEXT PRIMARY KEY,\n'
        '   "direction" TEXT NOT NULL,\n'
        '   "name" TEXT NOT NULL,\n'
        '   "version" TEXT NOT NULL,\n'
        '   "root_digest" TEXT NOT NULL,\n'
        '   "signature_sha256" TEXT,\n'
        '   "signer_fingerprint" TEXT,\n'
        '   "path" TEXT,\n'
        '   "status" TEXT,\n'
        '   "contract" TEXT,\n'
        '   "created_at" TEXT NOT NULL\n'
        ")"
    ),
    (
        'CREATE INDEX "idx_handovers_direction_name_version"\n'
        '    ON "handovers" ("direction", "name", "version")'
    ),
    (
        'CREATE TABLE "reviews" (\n'
        '   "id" TEXT PRIMARY KEY,\n'
        '   "handover_id" TEXT NOT NULL REFERENCES "handovers"("id"),\n'
        '   "decision" TEXT NOT NULL,\n'
        '   "comment" TEXT,\n'
        '   "reviewer" TEXT,\n'
        '   "reviewer_fingerprint" TEXT,\n'
        '   "receipt" TEXT,\n'
        '   "created_at" TEXT NOT NULL\n'
        ")"
    ),
    (
        'CREATE TABLE "evaluations" (\n'
        '   "id" TEXT PRIMARY KEY,\n'
        '   "model_id" TEXT NOT NULL REFERENCES "models"("id"),\n'
        '   "dataset_id" TEXT NOT NULL REFERENCES "datasets"("id"),\n'
        '   "predictions_sha256" TEXT,\n'
        '   "result" TEXT NOT NULL,\n'
        '   "created_at" TEXT NOT NULL\n'
        ")"
    ),
    (
        'CREATE INDEX "idx_evaluations_model_id_dataset_id_created_at"\n'
        '    ON "evaluations" ("model_id", "dataset_id", "created_at")'
    ),
    (
        'CREATE TABLE "profiles" (\n'
        '   "id" TEXT PRIMARY KEY,\n'
        '   "model_id" TEXT NOT NULL REFERENCES "models"("id"),\n'
        '   "dataset_id" TEXT NOT NULL REFERENCES "datasets"("id"),\n'
        '   "predictions_sha256" TEXT,\n'
        '   "result" TEXT NOT NULL,\n'
        '   "created_at" TEXT NOT NULL\n'
        ")"
    ),
    (
        'CREATE INDEX "idx_profiles_model_id_dataset_id_created_at"\n'
        '    ON "profiles" ("model_id", "dataset_id", "created_at")'
    ),
    (
        'CREATE TABLE "contracts" (\n'
        '   "id" TEXT PRIMARY KEY,\n'
        '   "name" TEXT NOT NULL,\n'
        '   "version" TEXT NOT NULL,\n'
        '   "model_id" TEXT REFERENCES "models"("id"),\n'
        '   "body" TEXT NOT NULL,\n'
        '   "created_at" TEXT NOT NULL,\n'
        '   "updated_at" TEXT\n'
        ")"
    ),
    ('CREATE UNIQUE INDEX "idx_contracts_name_version"\n    ON "contracts" ("name", "version")'),
    (
        'CREATE TABLE "reproductions" (\n'
        '   "id" TEXT PRIMARY KEY,\n'
        '   "root_digest" TEXT NOT NULL,\n'
        '   "name" TEXT,\n'
        '   "version" TEXT,\n'
        '   "result" TEXT NOT NULL,\n'
        '   "created_at" TEXT NOT NULL\n'
        ")"
    ),
    (
        'CREATE INDEX "idx_reproductions_root_digest_created_at"\n'
        '    ON "reproductions" ("root_digest", "created_at")'
    ),
    (
        "CREATE VIRTUAL TABLE [models_fts] USING FTS5 (\n"
        "    [name], [description], [tags], [estimator], [file_name],\n"
        "    tokenize='unicode61',\n"
        "    content=[models],\n"
        "    prefix='1 2 3'\n"
        ")"
    ),
    "CREATE INDEX [idx_models_created_at_desc_name] ON [models] (created_at DESC, name)",
    (
        "CREATE VIRTUAL TABLE [datasets_fts] USING FTS5 (\n"
        "    [name], [description], [tags], [column_names], [file_name],\n"
        "    tokenize='unicode61',\n"
        "    content=[datasets],\n"
        "    prefix='1 2 3'\n"
        ")"
    ),
    "CREATE INDEX [idx_datasets_created_at_desc_name] ON [datasets] (created_at DESC, name)",
    ('CREATE INDEX "idx_contracts_model_id"\n    ON "contracts" ("model_id")'),
    ('CREATE INDEX "idx_models_sha256"\n    ON "models" ("sha256")'),
    (
        'CREATE TABLE "baseline_profiles" (\n'
        '   "sha256" TEXT,\n'
        '   "key" TEXT,\n'
        '   "baseline" TEXT,\n'
        '   "created_at" TEXT,\n'
        '   PRIMARY KEY ("sha256", "key")\n'
        ")"
    ),
    (
        "CREATE TABLE [search_state] (\n"
        "   [fts] INTEGER PRIMARY KEY,\n"
        "   [inserted] INTEGER NOT NULL DEFAULT 0,\n"
        "   [changed] INTEGER NOT NULL DEFAULT 0,\n"
        "   [seen_inserted] INTEGER NOT NULL DEFAULT 0,\n"
        "   [seen_changed] INTEGER NOT NULL DEFAULT 0,\n"
        "   [last_row] INTEGER NOT NULL DEFAULT 0,\n"
        "   [rows] INTEGER NOT NULL DEFAULT 0,\n"
        "   [tokens] INTEGER NOT NULL DEFAULT 0\n"
        ")"
    ),
    (
        "CREATE TABLE [search_postings] (\n"
        "   [fts] INTEGER NOT NULL,\n"
        "   [prefix] TEXT NOT NULL,\n"
        "   [tf] INTEGER NOT NULL,\n"
        "   [dl] INTEGER NOT NULL,\n"
        "   [row] INTEGER NOT NULL,\n"
        "   PRIMARY KEY ([fts], [prefix], [tf], [dl], [row])\n"
        ") WITHOUT ROWID"
    ),
    (
        "CREATE TABLE [search_prefixes] (\n"
        "   [fts] INTEGER NOT NULL,\n"
        "   [prefix] TEXT NOT NULL,\n"
        "   [rows] INTEGER NOT NULL,\n"
        "   PRIMARY KEY ([fts], [prefix])\n"
        ") WITHOUT ROWID"
    ),
    (
        "CREATE TRIGGER [models_search_ai] AFTER INSERT ON [models] BEGIN\n"
        "  INSERT INTO [search_state] ([fts], [inserted]) VALUES (0, 1)\n"
        "    ON CONFLICT ([fts]) DO UPDATE SET [inserted] = [inserted] + 1;\n"
        "END"
    ),
    (
        "CREATE TRIGGER [models_search_au] AFTER UPDATE OF [name], [description], [tags], [estimator], [file_name] ON [models] BEGIN\n"
        "  INSERT INTO [search_state] ([fts], [changed]) VALUES (0, 1)\n"
        "    ON CONFLICT ([fts]) DO UPDATE SET [changed] = [changed] + 1;\n"
        "END"
    ),
    (
        "CREATE TRIGGER [models_search_ad] AFTER DELETE ON [models] BEGIN\n"
        "  INSERT INTO [search_state] ([fts], [changed]) VALUES (0, 1)\n"
        "    ON CONFLICT ([fts]) DO UPDATE SET [changed] = [changed] + 1;\n"
        "END"
    ),
    (
        "CREATE TRIGGER [datasets_search_ai] AFTER INSERT ON [datasets] BEGIN\n"
        "  INSERT INTO [search_state] ([fts], [inserted]) VALUES (1, 1)\n"
        "    ON CONFLICT ([fts]) DO UPDATE SET [inserted] = [inserted] + 1;\n"
        "END"
    ),
    (
        "CREATE TRIGGER [datasets_search_au] AFTER UPDATE OF [name], [description], [tags], [column_names], [file_name] ON [datasets] BEGIN\n"
        "  INSERT INTO [search_state] ([fts], [changed]) VALUES (1, 1)\n"
        "    ON CONFLICT ([fts]) DO UPDATE SET [changed] = [changed] + 1;\n"
        "END"
    ),
    (
        "CREATE TRIGGER [datasets_search_ad] AFTER DELETE ON [datasets] BEGIN\n"
        "  INSERT INTO [search_state] ([fts], [changed]) VALUES (1, 1)\n"
        "    ON CONFLICT ([fts]) DO UPDATE SET [changed] = [changed] + 1;\n"
        "END"
    ),
    "INSERT INTO [models_fts]([models_fts]) VALUES('rebuild')",
    "INSERT INTO [models_fts]([models_fts], rank) VALUES('rank', 'bm25()')",
    "INSERT INTO [datasets_fts]([datasets_fts]) VALUES('rebuild')",
    "INSERT INTO [datasets_fts]([datasets_fts], rank) VALUES('rank', 'bm25()')",
)
