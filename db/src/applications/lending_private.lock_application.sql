-- Locks the application for a status change and checks the caller's expected version against it.
create or replace function lending_private.lock_application(application_id bigint, expected_version integer)
returns lending_private.application
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_application lending_private.application;
begin
  select * into v_application from lending_private.application as a
   where a.application_id = lock_application.application_id
     for update;
  if not found then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  if expected_version is not null and expected_version <> v_application.version then
    perform lending_private.fail(
      'version_conflict',
      format('Application %s is at version %s, not %s', application_id, v_application.version, expected_version),
      jsonb_build_object('application_id', application_id, 'expected_version', expected_version,
                         'current_version', v_application.version, 'current_status', v_application.status));
  end if;
  return v_application;
end;
$$;
comment on function lending_private.lock_application(bigint, integer) is
  'Locks an application row for update; raises not_found, or version_conflict when expected_version is stale.';
