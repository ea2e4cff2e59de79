create or replace function lending.authenticate(api_key text)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_result jsonb;
begin
  select jsonb_build_object('actor', a.name, 'kind', a.kind, 'role', a.role, 'key_id', k.key_id,
                            'expires_at', lending_private.json_time(k.expires_at))
    into v_result
    from lending_private.api_key as k
    join lending_private.actor as a on a.actor_id = k.actor_id
   where k.key_hash = sha256(convert_to(api_key, 'UTF8'))
     and k.revoked_at is null and k.expires_at > now() and a.active;
  if v_result is null then
    perform lending_private.fail('unauthenticated', 'The API key is unknown, expired or revoked, or its actor is deactivated');
  end if;
  return v_result;
end;
$$;
comment on function lending.authenticate(text) is
$$Resolves an API key to the actor it belongs to; for the HTTP service only.

The key is hashed and looked up; it must be neither expired nor revoked, and its actor active. Only members of
lending_gateway may call this: the HTTP service passes the resolved actor to every other function.
Returns: {actor, kind, role, key_id, expires_at}.
Errors: unauthenticated.$$;
grant execute on function lending.authenticate(text) to lending_gateway;
