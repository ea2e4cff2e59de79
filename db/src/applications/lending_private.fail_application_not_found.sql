create or replace function lending_private.fail_application_not_found(application_id bigint)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail('not_found', format('Application %s does not exist', application_id),
                              jsonb_build_object('resource', 'application', 'application_id', application_id));
end;
$$;
