create or replace function lending_private.identify(actor text, request_id text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := lending_private.acting_actor_name(actor, request_id);
  v_role text;
  v_active boolean;
begin
  select a.role, a.active into v_role, v_active from lending_private.actor as a where a.name = v_name;
  if v_active is not true then
    perform lending_private.fail('unauthenticated', format('Actor %s does not exist or is deactivated', v_name),
                                 jsonb_build_object('actor', v_name));
  end if;
  v_name := lending_private.act_as(v_name, request_id);
  return v_role;
end;
$$;
comment on function lending_private.identify(text, text) is
  'Finds the acting actor and hands it and the request id to the audit triggers. Returns the actor''s role.';
