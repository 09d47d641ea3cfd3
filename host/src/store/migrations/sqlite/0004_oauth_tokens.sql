-- Refresh tokens an OAuth 2 grant rotated, per shop, sealed (XChaCha20-Poly1305 with the host's
-- key file): never in clear. `origin` fingerprints the refresh token configured for the shop, so
-- a merchant who re-authorises (a new configured token) starts a new chain.
CREATE TABLE oauth_tokens (
    shop_id        TEXT PRIMARY KEY,
    refresh_sealed BLOB NOT NULL,
    origin         TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
