-- Roles and schemas. This file runs as a role that may create roles (the migrations' superuser); everything after
-- it runs as lending_owner, which owns every object.

-- Roles are cluster-wide, so several databases (and every test database) share them: each is created only when it
-- is missing, and no migration drops one. Login roles and their passwords are provisioned outside the database
-- source: by `lendgres` on the embedded database, by docker/initdb under docker compose.
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'lending_owner') then
    -- Owns every object and function. Not a superuser, and nobody logs in as it: SECURITY DEFINER functions run
    -- with its rights, and migrations switch to it so that what they create belongs to it.
    create role lending_owner nologin nosuperuser nocreatedb nocreaterole noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'lending_api') then
    -- May execute the functions of schema lending and nothing else: no table privilege at all.
    create role lending_api nologin;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'lending_reporting') then
    -- Read-only access to the private tables, for reports and analysis.
    create role lending_reporting nologin;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'lending_gateway') then
    -- The HTTP service's group role. It authenticates API keys itself, so it is the one caller whose `actor`
    -- argument the functions believe. Everyone else calling the SQL API directly acts as the actor its login role
    -- is mapped to.
    create role lending_gateway nologin;
  end if;
end
$$;
grant lending_api to lending_gateway;

create schema lending_private authorization lending_owner;
comment on schema lending_private is
  'Tables, helpers and trigger functions of Lendgres. Not an API: only lending_owner and the reporting role see it.';

create schema lending authorization lending_owner;
comment on schema lending is
  'The public SQL API of Lendgres: documented functions returning jsonb. Callers need lending_api. Each function '
  'acts for one actor: the one the HTTP service names in `actor`, or the one the caller''s login role is mapped to.';

revoke all on schema lending_private from public;
revoke all on schema lending from public;
grant usage on schema lending to lending_api;
grant usage on schema lending_private to lending_reporting;

-- Nothing the owner creates is executable by PUBLIC; every grant is explicit.
alter default privileges for role lending_owner revoke execute on functions from public;
alter default privileges for role lending_owner in schema lending_private grant select on tables to lending_reporting;

-- lending.schema_version() runs as the owner and reads dbmate's bookkeeping, which dbmate creates before the first
-- migration runs.
grant select on table public.schema_migrations to lending_owner;
