create or replace function lending_private.find_actor(name text)
returns lending_private.actor
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor lending_private.actor;
begin
  select * into v_actor from lending_private.actor as a where a.name = find_actor.name;
  if not found then
    perform lending_private.fail('not_found', format('Actor %s does not exist', name),
                                 jsonb_build_object('resource', 'actor', 'name', name));
  end if;
  return v_actor;
end;
$$;
