create or replace function lending_private.api_key_json(k lending_private.api_key)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return jsonb_build_object(
    'key_id', k.key_id,
    'actor', (select a.name from lending_private.actor as a where a.actor_id = k.actor_id),
    'prefix', k.prefix, 'label', k.label,
    'created_at', lending_private.json_time(k.created_at),
    'expires_at', lending_private.json_time(k.expires_at),
    'revoked_at', lending_private.json_time(k.revoked_at),
    'state', case when k.revoked_at is not null then 'revoked' when k.expires_at <= now() then 'expired'
                  else 'active' end);
end;
$$;
