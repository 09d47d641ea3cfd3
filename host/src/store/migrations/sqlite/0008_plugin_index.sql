-- The plugin index shared by every host process on the database (used on PostgreSQL, where
-- processes run on several machines, each with its own plugins folder): each mall's active
-- component and the ones before it, by sha256 digest, and the components themselves with their
-- manifests, so a process fetches by digest what another installed, and checks it.
CREATE TABLE plugin_components (
    digest    TEXT NOT NULL PRIMARY KEY,
    mall_id   TEXT NOT NULL,
    version   TEXT NOT NULL,
    component BLOB NOT NULL,
    manifest  TEXT NOT NULL,
    added_at  TEXT NOT NULL
);
CREATE TABLE plugin_index (
    mall_id    TEXT NOT NULL PRIMARY KEY,
    active     TEXT NOT NULL,
    history    TEXT NOT NULL, -- JSON array of digests, oldest first
    changed_at TEXT NOT NULL
);
