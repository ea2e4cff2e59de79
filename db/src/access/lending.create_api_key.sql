create or replace function lending.create_api_key(
  for_actor text,
  expires_in_days integer default 90,
  label text default null,
  actor text default null,
  request_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_owner lending_private.actor;
  v_secret text;
  v_key lending_private.api_key;
begin
  perform lending_private.authorize('manage_keys', actor, request_id);
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('for_actor', lending_private.actor_name_error(for_actor)),
    lending_private.field_error('expires_in_days', case when expires_in_days is null
                                                          or expires_in_days not between 1 and 3650
                                                        then 'must be between 1 and 3650' end),
    lending_private.field_error('label', lending_private.text_error(label, 100))]);
  v_owner := lending_private.find_actor(for_actor);
  -- Three version-4 UUIDs from the server's strong random source: 366 random bits in 48 bytes.
  v_secret := 'lgk_' || translate(encode(decode(
                replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
                'hex'), 'base64'), '+/', '-_');
  insert into lending_private.api_key (actor_id, key_hash, prefix, label, expires_at)
  values (v_owner.actor_id, sha256(convert_to(v_secret, 'UTF8')), left(v_secret, 12), label,
          now() + make_interval(days => expires_in_days))
  returning * into v_key;
  return jsonb_build_object('status', 201,
                            'body', lending_private.api_key_json(v_key) || jsonb_build_object('api_key', v_secret),
                            'replayed', false);
end;
$$;
comment on function lending.create_api_key(text, integer, text, text, text) is
$$Makes an API key for an actor and shows its secret, once.

for_actor names the key's actor; the key acts with that actor's role. expires_in_days is 1-3650 (default 90);
label (at most 100 characters) says what the key is for. Only the key's sha256 is stored: keep api_key now, it
cannot be shown again. Send it as `Authorization: Bearer <api_key>`.
Returns: {status: 201, body: {key_id, actor, prefix, label, created_at, expires_at, revoked_at, state, api_key}, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;
grant execute on function lending.create_api_key(text, integer, text, text, text) to lending_api;
