-- Returns null when the caller should go on with the write, or the stored response of the earlier call with this
-- key. Calls with the same key (and actor) queue on a transaction-level advisory lock: the second waits until the
-- first commits (then it gets the replay) or rolls back (then it writes itself). One write, whatever the timing,
-- and no row is written before the write itself succeeds. The key's own check is a plain expression, raised only
-- when it fails.
create or replace function lending_private.idempotency_claim(idempotency_key text, operation text, request jsonb)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor text := lending_private.current_actor();
  v_key_error text;
  v_stored lending_private.idempotency_key;
begin
  if idempotency_key is null then
    return null;
  end if;
  v_key_error := lending_private.text_error(idempotency_key, 255, true);
  if v_key_error is not null then
    perform lending_private.fail_if_invalid(array[lending_private.field_error('idempotency_key', v_key_error)]);
  end if;

  perform pg_advisory_xact_lock(hashtext('lending_private.idempotency_key'), hashtext(v_actor || ' ' || idempotency_key));
  select * into v_stored from lending_private.idempotency_key as k
   where k.actor = v_actor and k.idempotency_key = idempotency_claim.idempotency_key;
  if not found then
    return null;
  end if;
  if v_stored.expires_at <= now() then
    delete from lending_private.idempotency_key as k
     where k.actor = v_actor and k.idempotency_key = idempotency_claim.idempotency_key;
    return null;
  end if;
  if v_stored.operation <> operation or v_stored.request_hash <> lending_private.request_hash(operation, request) then
    perform lending_private.fail(
      'idempotency_key_reused',
      format('Idempotency key %L was already used for a different %s request', idempotency_key, v_stored.operation),
      jsonb_build_object('idempotency_key', idempotency_key, 'operation', v_stored.operation,
                         'first_used_at', lending_private.json_time(v_stored.created_at),
                         'expires_at', lending_private.json_time(v_stored.expires_at)));
  end if;
  return v_stored.response || jsonb_build_object('replayed', true);
end;
$$;
comment on function lending_private.idempotency_claim(text, text, jsonb) is
  'Takes the idempotency key''s lock for this actor and returns the stored response of its earlier use, if any.';
