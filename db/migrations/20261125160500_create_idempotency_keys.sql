-- migrate:up
set local role lending_owner;

-- Idempotency keys of writing calls. The key is claimed, and the response stored, in the same transaction as the
-- write: a key exists exactly when its write committed. A retry with the same key and the same request gets the
-- stored response back and writes nothing; the same key with another request is refused. Keys are per actor, so
-- two callers cannot collide, and expire after 24 hours.
create table lending_private.idempotency_key (
  actor text not null,
  idempotency_key text not null
    constraint idempotency_key_is_valid check (lending_private.text_error(idempotency_key, 255, true) is null),
  operation text not null,
  request_hash bytea not null,
  response jsonb not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '24 hours',
  primary key (actor, idempotency_key)
);
comment on table lending_private.idempotency_key is
  'Claimed idempotency keys with the response of the write they guard; expired keys are removed when reused.';
comment on column lending_private.idempotency_key.operation is 'The lending function the key was used with.';
comment on column lending_private.idempotency_key.request_hash is 'sha256 of the call''s arguments.';
comment on column lending_private.idempotency_key.response is 'The envelope {status, body} the write returned.';

-- Returns null when the caller holds the key now and should go on with the write, or the stored response of the
-- earlier call with this key. A concurrent call with the same key waits on the unique index until the first one
-- commits (then it gets the replay) or rolls back (then it proceeds itself): one write, whatever the timing.
create function lending_private.idempotency_claim(idempotency_key text, operation text, request jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_actor text := lending_private.current_actor();
  v_hash bytea := sha256(convert_to(jsonb_build_object('operation', operation, 'request', request)::text, 'UTF8'));
  v_stored lending_private.idempotency_key;
begin
  if idempotency_key is null then
    return null;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('idempotency_key', lending_private.text_error(idempotency_key, 255, true))]);

  delete from lending_private.idempotency_key as k
   where k.actor = v_actor and k.idempotency_key = idempotency_claim.idempotency_key and k.expires_at <= now();

  -- Claim with a placeholder response; idempotency_complete() replaces it before the transaction commits.
  insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response)
  values (v_actor, idempotency_key, operation, v_hash, '{}')
  on conflict do nothing;
  if found then
    return null;
  end if;

  select * into strict v_stored from lending_private.idempotency_key as k
   where k.actor = v_actor and k.idempotency_key = idempotency_claim.idempotency_key;
  if v_stored.request_hash <> v_hash then
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
  'Claims an idempotency key for this actor, or returns the stored response of its earlier use.';

create function lending_private.idempotency_complete(idempotency_key text, response jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  if idempotency_key is not null then
    update lending_private.idempotency_key as k
       set response = idempotency_complete.response
     where k.actor = lending_private.current_actor() and k.idempotency_key = idempotency_complete.idempotency_key;
  end if;
  return response || jsonb_build_object('replayed', false);
end;
$$;
comment on function lending_private.idempotency_complete(text, jsonb) is
  'Stores the response of a write under its idempotency key (if any) and returns it, marked as not replayed.';

reset role;

-- migrate:down
set local role lending_owner;
drop function lending_private.idempotency_complete(text, jsonb);
drop function lending_private.idempotency_claim(text, text, jsonb);
drop table lending_private.idempotency_key;
reset role;
