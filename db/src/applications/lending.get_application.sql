create or replace function lending.get_application(application_id bigint, actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_applications', actor, null);
  v_application jsonb := lending_private.application_json(application_id);
begin
  if v_application is null then
    perform lending_private.fail_application_not_found(application_id);
  end if;
  return v_application;
end;
$$;
comment on function lending.get_application(bigint, text) is
$$Reads one application with its applicant, latest decision and decision history.

Amounts are decimal strings with two places; timestamps are RFC 3339 in UTC. decision is the latest decision or
null; decisions lists them all, oldest first; next_statuses lists where the status machine allows it to go next.
Returns: the application.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;
grant execute on function lending.get_application(bigint, text) to lending_api;
