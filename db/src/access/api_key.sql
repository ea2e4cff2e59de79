-- API keys. The secret is shown once, when the key is made, and only its sha256 is kept: a key is 366 random bits,
-- so a fast hash is enough (nothing to guess from), and lookup by hash needs no per-key salt.
create table lending_private.api_key (
  key_id bigint generated always as identity primary key,
  actor_id bigint not null references lending_private.actor,
  key_hash bytea not null unique,
  prefix text not null,
  label text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  version integer not null default 1,
  updated_at timestamptz not null default now(),
  constraint api_key_expires_after_creation check (expires_at > created_at)
);
create index api_key_actor on lending_private.api_key (actor_id);
comment on table lending_private.api_key is 'API keys, stored as sha256 hashes; each belongs to one actor.';
comment on column lending_private.api_key.prefix is 'The first characters of the key, to recognise it in lists.';

create trigger _100_refuse_delete before delete on lending_private.api_key
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.api_key
  for each statement execute function lending_private.refuse_change();
create trigger _200_bump_version before update on lending_private.api_key
  for each row execute function lending_private.bump_version();
-- HTTP workers cache resolved keys briefly: a revocation, or a change of expiry, tells them at once.
create trigger _800_notify after update of revoked_at, expires_at on lending_private.api_key
  for each row when (old.revoked_at is distinct from new.revoked_at or old.expires_at is distinct from new.expires_at)
  execute function lending_private.notify_key_change();
create trigger _900_audit after insert or update on lending_private.api_key
  for each row execute function lending_private.record_audit('actor', 'actor_id', 'key_id');
