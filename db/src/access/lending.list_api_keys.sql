create or replace function lending.list_api_keys(for_actor text default null, actor text default null, request_id text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.authorize('manage_keys', actor, request_id);
  return jsonb_build_object('items', (
    select coalesce(jsonb_agg(lending_private.api_key_json(k) order by k.key_id), '[]')
      from lending_private.api_key as k
     where for_actor is null
        or k.actor_id = (select a.actor_id from lending_private.actor as a where a.name = list_api_keys.for_actor)));
end;
$$;
comment on function lending.list_api_keys(text, text, text) is
$$Lists API keys, all or one actor's, without their secrets.

Each key shows its prefix (its first characters), label, dates and state: active, expired or revoked.
Returns: {items: [{key_id, actor, prefix, label, created_at, expires_at, revoked_at, state}]}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.list_api_keys(text, text, text) to lending_api;
