create or replace function lending.schema_version()
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select jsonb_build_object('version', (select max(m.version) from public.schema_migrations as m))
$$;
comment on function lending.schema_version() is
$$Tells the latest database migration applied, for readiness checks.

Roles that may not read dbmate's bookkeeping table can still compare it with the migrations they expect.
Returns: {version}: the version (timestamp prefix) of the newest applied migration.
Errors: none.$$;
grant execute on function lending.schema_version() to lending_api;
