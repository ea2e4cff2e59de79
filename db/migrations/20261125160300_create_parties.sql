-- migrate:up
set local role lending_owner;

-- Field rules, each in one function that returns what is wrong (or null). The tables' CHECK constraints call them,
-- so direct SQL is held to the same rules, and the API functions call them to report every bad field at once.
create function lending_private.text_error(value text, max_length integer, required boolean default false)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when value is null then case when required then 'is required' end
    when btrim(value) = '' then 'must not be blank'
    when char_length(value) > max_length then 'must be at most ' || max_length::text || ' characters'
  end;
end;
$$;
comment on function lending_private.text_error(text, integer, boolean) is
  'What is wrong with a free-text field (missing, blank, too long), or null.';

create function lending_private.email_error(value text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when value is null then null
    when char_length(value) > 254 then 'must be at most 254 characters'
    when value !~ '^[^@\s]+@[^@\s]+\.[^@\s.]+$' then 'must be an email address such as jane@example.com'
  end;
end;
$$;
comment on function lending_private.email_error(text) is 'What is wrong with an email address, or null.';

create function lending_private.phone_error(value text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when value is null then null
    when value !~ '^\+?[0-9][0-9 ().-]{3,30}[0-9]$'
      or char_length(regexp_replace(value, '[^0-9]', '', 'g')) not between 5 and 15
      then 'must be a phone number of 5 to 15 digits, optionally starting with + (for example +1 555 010 0199)'
  end;
end;
$$;
comment on function lending_private.phone_error(text) is 'What is wrong with a phone number, or null.';

-- A party is a person or organisation we lend to: one row however many applications it files.
create table lending_private.party (
  party_id bigint generated always as identity primary key,
  name text not null constraint party_name_is_valid check (lending_private.text_error(name, 255, true) is null),
  email text constraint party_email_is_valid check (lending_private.email_error(email) is null),
  phone text constraint party_phone_is_valid check (lending_private.phone_error(phone) is null),
  external_ref text constraint party_external_ref_is_valid check (lending_private.text_error(external_ref, 100) is null),
  version integer not null default 1 constraint party_version_is_positive check (version >= 1),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint party_external_ref_is_unique unique (external_ref)
);
comment on table lending_private.party is 'Applicants and borrowers: one row per party, however many applications.';
comment on column lending_private.party.external_ref is 'The party''s id in the caller''s own systems; unique.';
comment on column lending_private.party.version is 'Bumped on every change, for optimistic concurrency.';

-- Bumps version and updated_at on every real change and keeps created_at as it was. Shared by versioned tables.
create function lending_private.bump_version()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if new is not distinct from old then
    return new;
  end if;
  new.version := old.version + 1;
  new.created_at := old.created_at;
  new.updated_at := now();
  return new;
end;
$$;
comment on function lending_private.bump_version() is
  'Trigger: on a real change, version + 1 and updated_at = now(); created_at never changes.';

create trigger _100_refuse_delete before delete on lending_private.party
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.party
  for each statement execute function lending_private.refuse_change();
create trigger _200_bump_version before update on lending_private.party
  for each row execute function lending_private.bump_version();
create trigger _900_audit after insert or update on lending_private.party
  for each row execute function lending_private.record_audit('party', 'party_id', 'party_id');

reset role;

-- migrate:down
set local role lending_owner;
drop table lending_private.party;
drop function lending_private.bump_version();
drop function lending_private.phone_error(text);
drop function lending_private.email_error(text);
drop function lending_private.text_error(text, integer, boolean);
reset role;
