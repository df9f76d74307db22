-- migrate:up

-- One CSV import and one CSV export at a time per account, whichever process serves it: a
-- request holds a lease row for as long as it works (the body's upload, the merge, the
-- download), renews it while it lives and deletes it when done. A process that dies leaves
-- a lease that simply expires; another request of the account may then take it over.
CREATE TABLE exchange_lease (
    archer_id  uuid NOT NULL REFERENCES archer (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('import', 'export')),
    holder     uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (archer_id, kind)
);

-- migrate:down

DROP TABLE exchange_lease;
