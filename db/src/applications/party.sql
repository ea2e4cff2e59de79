-- A party is a person or organisation we lend to: one row however many applications it files.
create table lending_private.party (
  party_id bigint generated always as identity primary key,
  name lending_private.party_name not null,
  email lending_private.email_address,
  phone lending_private.phone_number,
  external_ref lending_private.external_ref,
  version lending_private.row_version not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint party_external_ref_is_unique unique (external_ref)
);
comment on table lending_private.party is 'Applicants and borrowers: one row per party, however many applications.';
comment on column lending_private.party.external_ref is 'The party''s id in the caller''s own systems; unique.';
comment on column lending_private.party.version is 'Bumped on every change, for optimistic concurrency.';

create trigger _100_refuse_delete before delete on lending_private.party
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.party
  for each statement execute function lending_private.refuse_change();
create trigger _200_bump_version before update on lending_private.party
  for each row execute function lending_private.bump_version();
create trigger _900_audit after insert or update on lending_private.party
  for each row execute function lending_private.record_audit('party', 'party_id', 'party_id');
