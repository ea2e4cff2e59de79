create or replace function lending.revoke_api_key(key_id bigint, actor text default null, request_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key lending_private.api_key;
begin
  perform lending_private.authorize('manage_keys', actor, request_id);
  update lending_private.api_key as k set revoked_at = coalesce(k.revoked_at, now())
   where k.key_id = revoke_api_key.key_id
  returning * into v_key;
  if not found then
    perform lending_private.fail('not_found', format('API key %s does not exist', key_id),
                                 jsonb_build_object('resource', 'api_key', 'key_id', key_id));
  end if;
  return jsonb_build_object('status', 200, 'body', lending_private.api_key_json(v_key), 'replayed', false);
end;
$$;
comment on function lending.revoke_api_key(bigint, text, text) is
$$Revokes an API key for good.

Revoking a revoked key changes nothing. The HTTP service stops accepting the key as soon as the revocation
commits (it is told on channel lending_keys; at the latest after its cache period).
Returns: {status: 200, body: key (without secret), replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;
grant execute on function lending.revoke_api_key(bigint, text, text) to lending_api;
