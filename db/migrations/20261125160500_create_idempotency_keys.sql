-- migrate:up
set local role lending_owner;

-- Idempotency keys of writing calls. The key and the response are stored in the same transaction as the write:
-- a key exists exactly when its write committed. A retry with the same key and the same request gets the
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
create index idempotency_key_expiry on lending_private.idempotency_key (expires_at);
comment on table lending_private.idempotency_key is
  'Used idempotency keys with the response of the write they guard. Expired keys are removed by later writes.';
comment on column lending_private.idempotency_key.operation is 'The lending function the key was used with.';
comment on column lending_private.idempotency_key.request_hash is 'sha256 of the call''s arguments.';
comment on column lending_private.idempotency_key.response is 'The envelope {status, body} the write returned.';

create function lending_private.request_hash(operation text, request jsonb)
returns bytea
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return sha256(convert_to(jsonb_build_object('operation', operation, 'request', request)::text, 'UTF8'));
end;
$$;
comment on function lending_private.request_hash(text, jsonb) is 'What identifies a request under an idempotency key.';

-- Returns null when the caller should go on with the write, or the stored response of the earlier call with this
-- key. Calls with the same key (and actor) queue on a transaction-level advisory lock: the second waits until the
-- first commits (then it gets the replay) or rolls back (then it writes itself). One write, whatever the timing,
-- and no row is written before the write itself succeeds.
create function lending_private.idempotency_claim(idempotency_key text, operation text, request jsonb)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor text := lending_private.current_actor();
  v_stored lending_private.idempotency_key;
begin
  if idempotency_key is null then
    return null;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('idempotency_key', lending_private.text_error(idempotency_key, 255, true))]);

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

-- Stores the response under the key, in the transaction of the write it answers, and returns it.
create function lending_private.idempotency_complete(idempotency_key text, operation text, request jsonb,
                                                     response jsonb)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if idempotency_key is not null then
    insert into lending_private.idempotency_key (actor, idempotency_key, operation, request_hash, response)
    values (lending_private.current_actor(), idempotency_key, operation,
            lending_private.request_hash(operation, request), response);
    -- Keep the table bounded without a scheduler: each write that stores a key removes a few expired ones (more
    -- than it adds), skipping any that a concurrent transaction holds, so writers never wait on each other here.
    -- Ordered by expiry, the scan walks the expiry index and stops at the first live key, however large the table.
    delete from lending_private.idempotency_key as k
     using (select e.actor, e.idempotency_key from lending_private.idempotency_key as e
             where e.expires_at <= now() order by e.expires_at limit 4 for update skip locked) as expired
     where k.actor = expired.actor and k.idempotency_key = expired.idempotency_key;
  end if;
  return response || jsonb_build_object('replayed', false);
end;
$$;
comment on function lending_private.idempotency_complete(text, text, jsonb, jsonb) is
  'Stores the response of a write under its idempotency key (if any) and returns it, marked as not replayed.';

reset role;

-- migrate:down
set local role lending_owner;
drop function lending_private.idempotency_complete(text, text, jsonb, jsonb);
drop function lending_private.idempotency_claim(text, text, jsonb);
drop function lending_private.request_hash(text, jsonb);
drop table lending_private.idempotency_key;
reset role;
