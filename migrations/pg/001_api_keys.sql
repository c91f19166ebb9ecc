-- Client keys. Only a hash of each secret is kept (SPEC §3).
CREATE TABLE api_keys (
    id              text PRIMARY KEY,
    name            text NOT NULL,
    secret_hash     text NOT NULL,          -- hex SHA-256 of the secret (whole key when legacy)
    legacy          boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz,
    revoked_at      timestamptz,
    last_used_at    timestamptz,
    rpm             bigint CHECK (rpm >= 0),   -- NULL: follow DEFAULT_RPM; 0: unlimited
    tpm             bigint CHECK (tpm >= 0),   -- NULL: follow DEFAULT_TPM; 0: unlimited
    budget_micro_usd bigint CHECK (budget_micro_usd >= 0),  -- NULL: no budget
    budget_period   text NOT NULL DEFAULT 'monthly'
                    CHECK (budget_period IN ('daily', 'monthly', 'total')),
    allowed_models  jsonb NOT NULL DEFAULT '[]'::jsonb  -- empty: every model
);

-- Legacy keys are found by the hash of the whole key.
CREATE UNIQUE INDEX api_keys_legacy_hash ON api_keys (secret_hash) WHERE legacy;
