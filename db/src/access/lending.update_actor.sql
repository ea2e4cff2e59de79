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
  if v_actor.role = 'admin' and v_actor.active
     and (coalesce(update_actor.role, 'admin') <> 'admin' or not coalesce(update_actor.active, true)) then
    -- Before the UPDATE locks the row: see lending_private.lock_administration.
    perform lending_private.lock_administration();
  end if;
  -- The actors table's trigger, lending_private.guard_administration(), refuses what would lock administration out.
  update lending_private.actor as a
     set role = coalesce(update_actor.role, a.role), active = coalesce(update_actor.active, a.active)
   where a.actor_id = v_actor.actor_id
  returning * into v_actor;
  return jsonb_build_object('status', 200, 'body', lending_private.actor_json(v_actor), 'replayed', false);
end;
$$;
comment on function lending.update_actor(text, text, boolean, text, text) is
$$Changes an actor's role, or deactivates (active false) or reactivates it.

A deactivated actor can do nothing from its next call on, whatever key or login it uses. Administration cannot
lock itself out: only a PostgreSQL superuser may change the built-in operator (operator_protected), no actor takes
itself out of admin (admin_self_demotion), and the last active admin apart from the operator stays one
(last_admin).
Returns: {status: 200, body: actor, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, operator_protected, admin_self_demotion, last_admin.$$;
grant execute on function lending.update_actor(text, text, boolean, text, text) to lending_api;
