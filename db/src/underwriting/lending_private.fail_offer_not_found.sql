-- Applications approved before offers existed have none: there is nothing to accept or decline.
create or replace function lending_private.fail_offer_not_found(application_id bigint)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail('not_found', format('Application %s has no offer', application_id),
                               jsonb_build_object('resource', 'offer', 'application_id', application_id));
end;
$$;
comment on function lending_private.fail_offer_not_found(bigint) is 'Raises not_found for the offer of an application.';
