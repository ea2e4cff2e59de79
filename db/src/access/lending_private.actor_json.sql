create or replace function lending_private.actor_json(a lending_private.actor)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'actor_id', a.actor_id, 'name', a.name, 'kind', a.kind, 'role', a.role, 'db_role', a.db_role,
    'active', a.active, 'version', a.version,
    'created_at', lending_private.json_time(a.created_at), 'updated_at', lending_private.json_time(a.updated_at));
end;
$$;
