-- A PostgreSQL superuser can change any row of any table whatever Lendgres says, so the guards of administration
-- (lending_private.guard_administration) do not stand in its way, and authorize() lets it act as the operator
-- whatever the actors table holds: `lendgres actors ...` run as the superuser is the recovery path that cannot be
-- locked out. session_user, not current_user: inside a SECURITY DEFINER function current_user is the owner.
create or replace function lending_private.session_is_superuser()
returns boolean
language sql
stable
begin atomic
  select coalesce((select r.rolsuper from pg_catalog.pg_roles as r where r.rolname = session_user), false);
end;
comment on function lending_private.session_is_superuser() is
  'Whether the session logged in as a PostgreSQL superuser: the one who may always recover administration.';
