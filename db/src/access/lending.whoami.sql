create or replace function lending.whoami(actor text default null, request_id text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.identify(actor, request_id);
begin
  return (select lending_private.actor_json(a) - 'db_role'
                 || jsonb_build_object('operations', (select coalesce(jsonb_agg(p.operation order by p.operation), '[]')
                                                        from lending_private.role_operation as p
                                                       where p.role = v_role))
            from lending_private.actor as a where a.name = lending_private.current_actor());
end;
$$;
comment on function lending.whoami(text, text) is
$$Tells who the caller acts as and what its role may do.

Any active actor may ask. operations lists every operation its role permits.
Returns: {actor_id, name, kind, role, active, version, created_at, updated_at, operations: [...]}.
Errors: validation_failed, unauthenticated, actor_mismatch.$$;
grant execute on function lending.whoami(text, text) to lending_api;
