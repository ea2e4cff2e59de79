-- Bumps version and updated_at on every real change and keeps created_at as it was. Shared by versioned tables.
create or replace function lending_private.bump_version()
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
