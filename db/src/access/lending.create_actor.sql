create or replace function lending.create_actor(
  name text,
  kind text,
  role text,
  db_role text default null,
  actor text default null,
  request_id text default null,
  idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  -- Authorized first: that names the acting actor, whose keys idempotency_claim then looks in.
  v_role text := lending_private.authorize('manage_actors', actor, request_id);
  v_request jsonb := jsonb_build_object('name', name, 'kind', kind, 'role', role, 'db_role', db_role);
  v_replay jsonb;
  v_actor lending_private.actor;
begin
  v_replay := lending_private.idempotency_claim(idempotency_key, 'create_actor', v_request);
  if v_replay is not null then
    return v_replay;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('name', lending_private.actor_name_error(name)),
    lending_private.field_error('kind', case when kind is null or kind not in ('agent', 'human', 'service')
                                             then 'must be one of agent, human, service' end),
    lending_private.field_error('role', lending_private.actor_role_error(role)),
    lending_private.field_error('db_role', case
      when db_role is null then null
      when not exists (select from pg_catalog.pg_roles as r where r.rolname = create_actor.db_role)
        then 'must be an existing PostgreSQL login role'
      when not pg_has_role(db_role, 'lending_api', 'MEMBER') then 'must be a role granted lending_api'
      when pg_has_role(db_role, 'lending_gateway', 'MEMBER') or pg_has_role(db_role, 'lending_owner', 'MEMBER')
        then 'must not be the HTTP service''s or an operator''s role: those name their actor'
      when exists (select from lending_private.actor as a where a.db_role = create_actor.db_role)
        then 'is already mapped to another actor' end)]);
  -- A taken name is found by the insert itself, which waits for a concurrent create_actor of the same name: a
  -- look-up first would miss that one, and the insert then fail on the unique constraint (a second code for one
  -- condition).
  insert into lending_private.actor (name, kind, role, db_role)
  values (name, kind, role, db_role)
  on conflict on constraint actor_name_key do nothing
  returning * into v_actor;
  if v_actor.actor_id is null then
    perform lending_private.fail('actor_exists', format('Actor %s already exists', name),
                                 jsonb_build_object('name', name));
  end if;
  return lending_private.idempotency_complete(idempotency_key, 'create_actor', v_request,
                                              jsonb_build_object('status', 201,
                                                                 'body', lending_private.actor_json(v_actor)));
end;
$$;
comment on function lending.create_actor(text, text, text, text, text, text, text) is
$$Creates an actor: an agent, a human or a service, with one role.

name is 1-100 letters, digits and . _ @ -; kind is agent, human or service; role is reader, intake, underwriter,
reviewer, servicer or admin. db_role maps a PostgreSQL login role (granted lending_api) to the actor, so that a
service calling the SQL API as that role acts as this actor. A repeated idempotency_key with the same arguments
returns the first response and writes nothing.
Returns: {status: 201, body: actor, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, actor_exists, idempotency_key_reused.$$;
grant execute on function lending.create_actor(text, text, text, text, text, text, text) to lending_api;
