-- Idempotency keys of writing calls. The key and the response are stored in the same transaction as the write:
-- a key exists exactly when its write committed. A retry with the same key and the same request gets the
-- stored response back and writes nothing; the same key with another request is refused. Keys are per actor, so
-- two callers cannot collide, and expire after 24 hours.
create table lending_private.idempotency_key (
  actor text not null,
  idempotency_key lending_private.idempotency_key_value not null,
  operation text not null,
  request_hash bytea not null,
  response jsonb not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '24 hours',
  primary key (actor, idempotency_key)
);
create index idempotency_key_expiry on lending_private.idempotency_key (expires_at);
comment on table lending_private.idempotency_key is
  'Used idempotency keys with the response of the write they guard. Expired keys are removed by later writes.';
comment on column lending_private.idempotency_key.operation is 'The lending function the key was used with.';
comment on column lending_private.idempotency_key.request_hash is 'sha256 of the call''s arguments.';
comment on column lending_private.idempotency_key.response is 'The envelope {status, body} the write returned.';
