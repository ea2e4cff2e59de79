create or replace function lending_private.check_transition(application_id bigint, from_status text, to_status text)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  if not exists (select from lending_private.status_transition as t
                  where t.from_status = check_transition.from_status and t.to_status = check_transition.to_status) then
    perform lending_private.fail(
      'invalid_transition',
      format('Application %s is %s and cannot become %s', application_id, from_status, to_status),
      jsonb_build_object('application_id', application_id, 'current_status', from_status,
                         'requested_status', to_status, 'allowed', lending_private.next_statuses(from_status)));
  end if;
end;
$$;
comment on function lending_private.check_transition(bigint, text, text) is
  'Raises invalid_transition unless status_transition allows from_status -> to_status.';
