create or replace function lending.update_actor(
  name text,
  role text default null,
  active boolean default null,
  actor text default null,
  request_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor lending_private.actor;
begin
  perform lending_private.authorize('manage_actors', actor, request_id);
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('role', case when role is not null then lending_private.actor_role_error(role) end)]);
  v_actor := lending_private.find_actor(name);
  update lending_private.actor as a
     set role = coalesce(update_actor.role, a.role), active = coalesce(update_actor.active, a.active)
   where a.actor_id = v_actor.actor_id
  returning * into v_actor;
  return jsonb_build_object('status', 200, 'body', lending_private.actor_json(v_actor), 'replayed', false);
end;
$$;
comment on function lending.update_actor(text, text, boolean, text, text) is
$$Changes an actor's role, or deactivates (active false) or reactivates it.

A deactivated actor can do nothing from its next call on, whatever key or login it uses.
Returns: {status: 200, body: actor, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;
grant execute on function lending.update_actor(text, text, boolean, text, text) to lending_api;
