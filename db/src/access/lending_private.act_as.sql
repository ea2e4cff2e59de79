create or replace function lending_private.act_as(actor text, request_id text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_request_id text := set_config('lending.request_id', coalesce(request_id, ''), true);
begin
  return set_config('lending.actor', actor, true);
end;
$$;
comment on function lending_private.act_as(text, text) is
  'Hands the acting actor and the request id to the audit triggers and events, for this transaction only. '
  'Returns the actor, so that callers use it as an expression (an assignment) rather than a PERFORM.';
