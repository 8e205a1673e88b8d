-- statushawk-runner: the certificate-expiry alert levels (14, 7 or 1 days left) already
-- sent for the certificate now in cert_expires_at: the smallest one, or NULL. The
-- runner's batch statement sets it in the same conditional update that records the
-- certificate, so one alert per level and certificate holds across runners and survives
-- a Redis flush; a new certificate (a different expiry) starts over.
ALTER TABLE monitors ADD COLUMN cert_alert_level smallint
    CHECK (cert_alert_level IN (1, 7, 14));
